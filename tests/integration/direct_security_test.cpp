// Direct-message security across daemons (issue 5, "Security"): an
// in-process libp2p host (this test) speaks /agentmesh/dm/1.0.0 and gossip to
// real daemons and sends what an attacker would: tampered ciphertext, the
// wrong recipient, replays (inside and after the lifetime, and after a
// receiver restart), expired and future-dated envelopes, a reused request id
// with another body, garbage frames, and an ack forged for another daemon's
// message. Each is refused, counted by reason, and never delivered.

#include <gtest/gtest.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

#include "direct/envelope_crypto.hpp"
#include "pubsub/service.hpp"
#include "testutil/testutil.hpp"
#include "transport/connection.hpp"
#include "transport/host.hpp"
#include "transport/stream_io.hpp"
#include "wire/direct.hpp"

namespace agentmesh::testutil {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
namespace wd = wire::direct;
using namespace std::chrono_literals;

std::span<const std::uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

using Agent = TestAgent;
constexpr auto create = create_agent;

std::size_t inbox_size(const Daemon& d, const Agent& a) {
  auto v = get_json(d, "/v1/agents/" + a.id + "/inbox?limit=1000");
  return v.is_object() ? v.at("messages").as_array().size() : 999;
}

std::int64_t rejected(const Daemon& d, const std::string& reason) {
  auto v = get_json(d, "/v1/diagnostics/direct");
  const auto& r = v.at("received").at("rejected").as_object();
  return r.contains(reason) ? r.at(reason).to_number<std::int64_t>() : 0;
}

// This test's libp2p node: a host (and pubsub for the gossip case), run on
// the test thread's io_context, plus an agent key of its own (a sender any
// daemon can authenticate: agent ids are self-certifying).
class Attacker {
 public:
  Attacker() : sender_(crypto::SigningKey::generate()) {
    transport::TransportConfig config;
    config.listen = {core::Multiaddr::parse("/ip4/127.0.0.1/tcp/0").value()};
    auto log = std::make_shared<spdlog::logger>("attacker", std::make_shared<spdlog::sinks::null_sink_mt>());
    host_ = transport::Host::create(ioc_.get_executor(), crypto::SigningKey::generate(), config, log);
    std::string why;
    EXPECT_TRUE(host_->listen(why)) << why;
    pubsub_ = pubsub::Service::create(ioc_.get_executor(), *host_, host_->identity(), {}, log);
    pubsub_->start();
    host_->start();
  }
  ~Attacker() {
    pubsub_->stop();
    host_->stop();
    ioc_.run_for(100ms);
  }

  bool run_until(const std::function<bool()>& pred, std::chrono::milliseconds deadline = 15s) {
    return testutil::run_until(ioc_, pred, deadline);
  }
  template <class T>
  T run(transport::Task<T> task) {
    std::optional<T> out;
    auto store = [](transport::Task<T> t, std::optional<T>& o) -> transport::Task<void> {
      o.emplace(co_await std::move(t));
    };
    asio::co_spawn(ioc_, store(std::move(task), out), [](const std::exception_ptr& e) {
      if (e) std::rethrow_exception(e);
    });
    EXPECT_TRUE(run_until([&] { return out.has_value(); }, 30s));
    return std::move(*out);
  }

  core::PeerId connect(const Daemon& d) {
    auto addr = core::Multiaddr::parse(p2p_addr(d)).value();
    auto peer = run(host_->connect(addr));
    EXPECT_TRUE(peer) << peer.error().message();
    return *peer;
  }

  // An envelope from our agent to `to`, sealed with the real pair key.
  wd::Envelope envelope(const std::string& to, const std::string& payload, std::int64_t created, std::int64_t expires) {
    wd::Envelope e;
    const auto rid = crypto::new_request_id();
    std::copy(rid.bytes().begin(), rid.bytes().end(), e.request_id.begin());
    e.sender = sender_.public_key();
    const auto recipient = core::AgentId::parse(to).value();
    std::copy(recipient.bytes().begin(), recipient.bytes().end(), e.recipient.begin());
    e.sender_peer = host_->peer_id().multihash();
    e.created_ms = static_cast<std::uint64_t>(created);
    e.expires_ms = static_cast<std::uint64_t>(expires);
    reseal(e, to, payload);
    return e;
  }
  void reseal(wd::Envelope& e, const std::string& sealed_for, const std::string& payload) {
    auto keys = direct::derive_pair_keys(sender_, core::AgentId::parse(sealed_for).value()).value();
    wd::Body body;
    body.payload = payload;
    direct::seal(e, body, keys.send);
  }
  bool ack_verifies(const wd::Ack& ack, const std::string& recipient) {
    auto keys = direct::derive_pair_keys(sender_, core::AgentId::parse(recipient).value()).value();
    return direct::verify_ack(ack, keys.receive);
  }

  // Opens a dm stream to `peer`, writes each frame, reads one ack per frame
  // (fewer if the daemon resets the stream).
  std::vector<wd::Ack> exchange(const core::PeerId& peer, std::vector<std::string> frames) {
    auto task = [](std::shared_ptr<transport::Host> host, core::PeerId to, std::vector<std::string> out,
                   bool* clean_eof) -> transport::Task<std::vector<wd::Ack>> {
      *clean_eof = false;
      std::vector<wd::Ack> acks;
      std::vector<std::string> protocols{std::string(wd::kProtocol)};
      auto stream = co_await host->new_stream(to, std::move(protocols));
      if (!stream) co_return acks;
      for (const auto& f : out) {
        if (!co_await transport::write_lp(**stream, f)) co_return acks;
      }
      (void)(*stream)->close_write();  // the daemon answers what is in flight, then closes its side
      transport::LpReader reader(**stream);
      for (;;) {
        auto msg = co_await reader.read(4096);
        if (!msg) {
          *clean_eof = reader.eof();
          break;
        }
        if (auto ack = wd::decode_ack(bytes_of(*msg))) acks.push_back(*ack);
      }
      (*stream)->reset();
      co_return acks;
    };
    return run(task(host_, peer, std::move(frames), &last_clean_eof_));
  }
  // Whether the last exchange ended with the daemon's clean half-close (after
  // all its acks) rather than a reset.
  bool last_clean_eof() const { return last_clean_eof_; }
  wd::Ack one(const core::PeerId& peer, const wd::Envelope& e) {
    auto acks = exchange(peer, {wd::encode(e)});
    EXPECT_EQ(acks.size(), 1u);
    return acks.empty() ? wd::Ack{} : acks[0];
  }

  // Until the host has noticed that a (restarted) daemon's old connection is gone.
  bool disconnected(const core::PeerId& peer) {
    return run_until([&] { return !host_->connected(peer); }, 15s);
  }
  pubsub::Service& pubsub() { return *pubsub_; }
  const crypto::SigningKey& sender() const { return sender_; }

 private:
  asio::io_context ioc_;
  std::shared_ptr<transport::Host> host_;
  std::shared_ptr<pubsub::Service> pubsub_;
  crypto::SigningKey sender_;
  bool last_clean_eof_ = false;
};

TEST(DirectSecurityTest, ForgedTamperedReplayedAndStaleEnvelopesAreRefusedCountedAndNeverDelivered) {
  TempDir dir;
  Daemon b(dir.path() / "b");
  b.start();
  const auto bob = create(b, "bob");
  const auto carol = create(b, "carol");
  Attacker m;
  const auto peer = m.connect(b);
  const auto now = now_ms();

  // The harness works: a genuine envelope is accepted with an ack only bob could make.
  const auto genuine = m.envelope(bob.id, "genuine", now, now + 120'000);
  auto ack = m.one(peer, genuine);
  EXPECT_EQ(ack.outcome, wd::Outcome::accepted);
  EXPECT_EQ(ack.seq, 1u);
  EXPECT_TRUE(m.ack_verifies(ack, bob.id));
  EXPECT_TRUE(m.last_clean_eof());  // acks first, then the daemon's half-close
  EXPECT_EQ(inbox_size(b, bob), 1u);

  // Replay inside its lifetime: acked again as a duplicate (same seq), delivered to nobody.
  ack = m.one(peer, genuine);
  EXPECT_EQ(ack.outcome, wd::Outcome::duplicate);
  EXPECT_EQ(ack.seq, 1u);
  EXPECT_TRUE(m.ack_verifies(ack, bob.id));

  // Tampered ciphertext.
  auto tampered = m.envelope(bob.id, "tampered", now, now + 120'000);
  tampered.ciphertext[30] ^= 1;
  ack = m.one(peer, tampered);
  EXPECT_EQ(ack.outcome, wd::Outcome::rejected);
  EXPECT_EQ(ack.reason, "not_authenticated");
  EXPECT_FALSE(m.ack_verifies(ack, bob.id));  // a refusal of an unauthenticated envelope is not authenticated either
  // A tampered header (the AEAD's associated data).
  auto header = m.envelope(bob.id, "header", now, now + 120'000);
  header.expires_ms += 1;
  EXPECT_EQ(m.one(peer, header).reason, "not_authenticated");
  // Sealed for bob, addressed to carol: the wrong recipient cannot open it.
  auto wrong = m.envelope(carol.id, "wrong", now, now + 120'000);
  m.reseal(wrong, bob.id, "wrong");
  EXPECT_EQ(m.one(peer, wrong).reason, "not_authenticated");
  // An agent this daemon does not host.
  const auto stranger = crypto::SigningKey::generate().agent_id().to_string();
  EXPECT_EQ(m.one(peer, m.envelope(stranger, "lost", now, now + 120'000)).reason, "unknown_recipient");
  // Expired, future-dated, and too long-lived.
  EXPECT_EQ(m.one(peer, m.envelope(bob.id, "old", now - 200'000, now - 80'000)).reason, "expired");
  EXPECT_EQ(m.one(peer, m.envelope(bob.id, "future", now + 120'000, now + 240'000)).reason, "clock_skew");
  EXPECT_EQ(m.one(peer, m.envelope(bob.id, "forever", now, now + 3'600'000)).reason, "lifetime_too_long");
  // The same request id with another body: refused, and the recipient says so (authenticated).
  auto conflict = genuine;
  m.reseal(conflict, bob.id, "not what I said before");
  ack = m.one(peer, conflict);
  EXPECT_EQ(ack.reason, "idempotency_conflict");
  EXPECT_TRUE(m.ack_verifies(ack, bob.id));

  // Garbage on the stream: the stream is reset and counted; the daemon carries on.
  EXPECT_TRUE(m.exchange(peer, {"\x0a\x03not an envelope"}).empty());
  EXPECT_FALSE(m.last_clean_eof());  // reset, not closed
  EXPECT_EQ(m.one(peer, m.envelope(bob.id, "still fine", now, now + 120'000)).outcome, wd::Outcome::accepted);

  // A short-lived envelope repeated just after its lifetime (what a sender's confirming attempt does): its original
  // outcome, authenticated, delivered to nobody again; one never delivered before: an authenticated `expired`, and
  // not delivered either.
  const auto brief_expires = now_ms() + 3'000;
  const auto brief = m.envelope(bob.id, "brief", now_ms(), brief_expires);
  const auto late = m.envelope(bob.id, "late", now_ms(), brief_expires);
  EXPECT_EQ(m.one(peer, brief).outcome, wd::Outcome::accepted);
  m.run_until([&] { return now_ms() > brief_expires + 50; }, 10s);
  ack = m.one(peer, brief);
  EXPECT_EQ(ack.outcome, wd::Outcome::duplicate);
  EXPECT_EQ(ack.seq, 3u);
  EXPECT_TRUE(m.ack_verifies(ack, bob.id));
  ack = m.one(peer, late);
  EXPECT_EQ(ack.outcome, wd::Outcome::rejected);
  EXPECT_EQ(ack.reason, "expired");
  EXPECT_TRUE(m.ack_verifies(ack, bob.id));

  // After a restart of the receiver the dedup table (SQLite) still knows the genuine envelope.
  ASSERT_EQ(b.stop(), 0);
  ASSERT_TRUE(m.disconnected(peer));
  b.start();
  const auto peer2 = m.connect(b);
  ack = m.one(peer2, genuine);
  EXPECT_EQ(ack.outcome, wd::Outcome::duplicate);
  EXPECT_EQ(ack.seq, 1u);

  // Delivered: genuine, still fine, brief. Nothing else, nothing twice.
  EXPECT_EQ(inbox_size(b, bob), 3u);
  EXPECT_EQ(inbox_size(b, carol), 0u);
  // Counted by reason (the restart reset the in-memory counters: count after it).
  EXPECT_EQ(get_json(b, "/v1/diagnostics/direct").at("received").at("duplicate").to_number<int>(), 1);
  auto metrics = b.admin().request("GET", "/metrics", "", "");
  ASSERT_TRUE(metrics && metrics->status == 200);
  EXPECT_NE(metrics->body.find("agentmesh_direct_received_duplicate_total 1"), std::string::npos);
  EXPECT_EQ(b.stop(), 0);
}

TEST(DirectSecurityTest, RejectionsAreCountedByReasonInDiagnosticsAndMetrics) {
  TempDir dir;
  Daemon b(dir.path() / "b");
  b.start();
  const auto bob = create(b, "bob");
  Attacker m;
  const auto peer = m.connect(b);
  const auto now = now_ms();
  auto tampered = m.envelope(bob.id, "x", now, now + 60'000);
  tampered.ciphertext.back() ^= 1;
  m.one(peer, tampered);
  m.one(peer, m.envelope(bob.id, "old", now - 200'000, now - 80'000));
  m.one(peer, m.envelope(bob.id, "old", now - 200'000, now - 80'000));
  EXPECT_EQ(rejected(b, "not_authenticated"), 1);
  EXPECT_EQ(rejected(b, "expired"), 2);
  EXPECT_EQ(inbox_size(b, bob), 0u);
  auto metrics = b.admin().request("GET", "/metrics", "", "");
  ASSERT_TRUE(metrics && metrics->status == 200);
  EXPECT_NE(metrics->body.find("agentmesh_direct_rejected_total{reason=\"expired\"} 2"), std::string::npos)
      << metrics->body;
  EXPECT_NE(metrics->body.find("agentmesh_direct_rejected_total{reason=\"not_authenticated\"} 1"), std::string::npos);
  EXPECT_EQ(b.stop(), 0);
}

// Daemon a sends alice -> bob while bob's daemon is down. A third node
// publishes an "accepted" ack for that message on alice's inbox topic, MAC'd
// with the only key it can have (its own pair key with alice, not bob's). a
// ignores it (counted); the message is delivered when b returns.
TEST(DirectSecurityTest, AnAckForgedByAThirdDaemonIsIgnored) {
  TempDir dir;
  AliceAndBob mesh(dir.path());
  ASSERT_TRUE(mesh.ready()) << mesh.a.log();
  Daemon& a = mesh.a;
  Daemon& b = mesh.b;
  const auto& alice = mesh.alice;
  const auto& bob = mesh.bob;
  ASSERT_EQ(b.stop(), 0);
  auto sent = a.client(alice.token)
                  .request("POST", "/v1/agents/" + alice.id + "/messages",
                           json::serialize(json::object{{"to", bob.id}, {"body", "the real one"}, {"ttl_ms", 60000}}),
                           "application/json");
  ASSERT_TRUE(sent && sent->status == 202) << (sent ? sent->body : "");
  const std::string rid(json::parse(sent->body).at("request_id").as_string());

  Attacker m;
  m.connect(a);
  const std::string topic = std::string(wd::kInboxTopicPrefix) + alice.id;
  ASSERT_TRUE(m.run_until([&] { return !m.pubsub().router().topic_peers(topic).empty(); }, 20s));
  wd::Ack forged;
  const auto id = core::RequestId::parse(rid).value();
  std::copy(id.bytes().begin(), id.bytes().end(), forged.request_id.begin());
  const auto alice_id = core::AgentId::parse(alice.id).value();
  const auto bob_id = core::AgentId::parse(bob.id).value();
  std::copy(alice_id.bytes().begin(), alice_id.bytes().end(), forged.sender.begin());
  std::copy(bob_id.bytes().begin(), bob_id.bytes().end(), forged.recipient.begin());
  forged.outcome = wd::Outcome::accepted;
  forged.seq = 1;
  // MAC'd with a key the attacker has (its own pair key with alice): not bob's.
  auto own = direct::derive_pair_keys(m.sender(), alice_id).value();
  direct::mac_ack(forged, own.send);
  wd::InboxItem item{wd::InboxItem::Kind::ack, wd::encode(forged)};
  auto published = m.pubsub().publish(topic, wd::encode(item));
  ASSERT_TRUE(published && published->peers >= 1);
  ASSERT_TRUE(eventually(
      [&] {
        m.run_until([] { return false; }, 50ms);
        return get_json(a, "/v1/diagnostics/direct").at("sent").at("acks_invalid").to_number<int>() >= 1;
      },
      20s));
  auto status = get_json(a, "/v1/agents/" + alice.id + "/messages/" + rid);
  EXPECT_EQ(status.at("state").as_string(), "queued") << json::serialize(status);
  EXPECT_TRUE(get_json(a, "/v1/deadletters").at("dead_letters").as_array().empty());

  b.start();
  ASSERT_TRUE(eventually(
      [&] { return get_json(a, "/v1/agents/" + alice.id + "/messages/" + rid).at("state").as_string() == "accepted"; },
      30s));
  EXPECT_EQ(inbox_size(b, bob), 1u);
  EXPECT_EQ(a.stop(), 0);
  EXPECT_EQ(b.stop(), 0);
}

}  // namespace
}  // namespace agentmesh::testutil
