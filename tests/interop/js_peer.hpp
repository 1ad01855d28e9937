#pragma once
// JsPeer: a js-libp2p node (interop/js-peer.mjs) as a child process, driven
// by commands on its stdin and observed through the JSON lines on its stdout.
// Construction fails the test (never skips) when node or the pinned packages
// are missing: run scripts/install-deps.sh.

#include <sys/types.h>

#include <boost/json.hpp>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "testutil/testutil.hpp"

namespace agentmesh::testutil {

// Runs `timeout 120 node <script>` in interop/ with `env` added, in a process
// group of its own that is killed when it ends (what the script started, such
// as daemons, goes with it). Its stdout and stderr are returned.
RunResult run_node_script(const std::string& script, const std::vector<std::pair<std::string, std::string>>& env);

class JsPeer {
 public:
  explicit JsPeer(std::vector<std::string> args = {});
  ~JsPeer();
  JsPeer(const JsPeer&) = delete;
  JsPeer& operator=(const JsPeer&) = delete;

  // Empty when the node started; otherwise why it did not (for the failure).
  const std::string& startup_error() const { return startup_error_; }
  const std::string& peer_id() const { return peer_id_; }
  const std::string& addr() const { return addr_; }  // /ip4/127.0.0.1/tcp/P/p2p/<id>

  void command(const std::string& line);
  // The first event (received so far or within `timeout`) that `match`
  // accepts; events are kept, so order does not matter.
  std::optional<boost::json::object> wait_for(const std::function<bool(const boost::json::object&)>& match,
                                              std::chrono::milliseconds timeout = std::chrono::seconds(20));
  std::string transcript() const;  // everything printed so far (for failures)

 private:
  void read_available(std::chrono::milliseconds wait);

  pid_t pid_ = -1;
  int in_ = -1;
  int out_ = -1;
  std::string buffer_;
  std::string stdout_text_;
  std::vector<boost::json::object> events_;
  std::string peer_id_;
  std::string addr_;
  std::string startup_error_;
  bool eof_ = false;
};

}  // namespace agentmesh::testutil
