#pragma once
// The store tests' fixture: the same tests against both backends (memory,
// SQLite), and the records they share.

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "crypto/crypto.hpp"
#include "store/memory_store.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store/store.hpp"
#include "testutil/testutil.hpp"

namespace agentmesh::store {

inline AgentId random_agent() { return crypto::SigningKey::generate().agent_id(); }

inline AgentRecord make_agent(const std::string& name) {
  AgentRecord a;
  a.id = random_agent();
  a.name = name;
  a.display_name = name + " display";
  a.capabilities = {"summarize", "translate"};
  a.state = AgentState::running;
  a.token_hash[0] = 42;
  a.created_ms = 1000;
  return a;
}

inline InboxRecord make_message(const AgentId& to, const AgentId& from, std::string body) {
  InboxRecord r;
  r.agent = to;
  r.sender = from;
  r.request_id = crypto::new_request_id();
  r.received_ms = 5;
  r.content.content_type = "text/plain";
  r.content.body = std::move(body);
  r.content.performative = "inform";
  r.content.conversation_id = "c1";
  r.content.metadata = {{"k", "v"}, {"empty", ""}};
  return r;
}

// Runs the same tests against both backends.
class StoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { store_ = open(); }
  std::unique_ptr<Store> open() {
    if (GetParam() == "memory") {
      if (!memory_) memory_ = std::make_shared<MemoryStore>();
      return memory_->open_reader().value();
    }
    return open_sqlite_store(dir_.path() / "test.db").value();
  }
  template <class F>
  void txn(F f) {
    ASSERT_TRUE(store_->begin());
    f();
    ASSERT_TRUE(store_->commit());
  }

  testutil::TempDir dir_;
  std::shared_ptr<MemoryStore> memory_;
  std::unique_ptr<Store> store_;
};

}  // namespace agentmesh::store
