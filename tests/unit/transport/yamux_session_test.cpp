#include "transport/yamux_session.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "transport/error.hpp"
#include "wire/error.hpp"

namespace agentmesh::transport::yamux {
namespace {

using wire::yamux::FrameType;

std::span<const std::uint8_t> b(const std::string& s) { return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}; }

std::string frame(FrameType type, std::uint16_t flags, std::uint32_t id, std::uint32_t length,
                  const std::string& payload = {}) {
  auto h = wire::yamux::encode({.type = type, .flags = flags, .stream_id = id, .length = length});
  return std::string(reinterpret_cast<const char*>(h.data()), h.size()) + payload;
}

bool has(const std::vector<Event>& events, Event::Kind kind, std::uint32_t stream = 0) {
  for (const auto& e : events) {
    if (e.kind == kind && (stream == 0 || e.stream == stream)) return true;
  }
  return false;
}

// Two sessions joined by an in-memory pipe; events are collected per side.
class YamuxPipeTest : public ::testing::Test {
 protected:
  explicit YamuxPipeTest(SessionConfig cc = {}, SessionConfig sc = {}) : client_(Role::client, cc), server_(Role::server, sc) {}

  // Moves output both ways until neither side has any.
  void pump() {
    for (int i = 0; i < 1000 && (client_.has_output() || server_.has_output()); ++i) {
      if (client_.has_output()) {
        auto out = client_.take_output();
        ASSERT_TRUE(server_.on_bytes(b(out)));
      }
      if (server_.has_output()) {
        auto out = server_.take_output();
        ASSERT_TRUE(client_.on_bytes(b(out)));
      }
      for (auto& e : client_.take_events()) client_events_.push_back(e);
      for (auto& e : server_.take_events()) server_events_.push_back(e);
    }
  }
  std::string read_all(Session& s, std::uint32_t id) {
    std::string out;
    std::array<std::uint8_t, 4096> buf{};
    for (;;) {
      auto n = s.read(id, buf);
      if (!n || *n == 0) break;
      out.append(reinterpret_cast<const char*>(buf.data()), *n);
    }
    return out;
  }

  Session client_;
  Session server_;
  std::vector<Event> client_events_;
  std::vector<Event> server_events_;
};

TEST_F(YamuxPipeTest, OpenWriteReadAndCloseInBothDirections) {
  auto id = client_.open_stream().value();
  EXPECT_EQ(id, 1u);  // the TCP dialer opens odd ids
  ASSERT_TRUE(client_.write(id, b("hello")));
  pump();
  ASSERT_TRUE(has(server_events_, Event::Kind::inbound_stream, 1));
  EXPECT_TRUE(client_.stream(id).acked);
  EXPECT_EQ(read_all(server_, id), "hello");

  ASSERT_TRUE(server_.write(id, b("world")));
  ASSERT_TRUE(server_.close_write(id));
  pump();
  EXPECT_EQ(read_all(client_, id), "world");
  EXPECT_TRUE(client_.stream(id).eof);
  EXPECT_FALSE(server_.stream(id).eof);  // half-closed: the client may still write
  ASSERT_TRUE(client_.write(id, b("more")));
  ASSERT_TRUE(client_.close_write(id));
  pump();
  EXPECT_EQ(read_all(server_, id), "more");
  EXPECT_TRUE(server_.stream(id).eof);
  client_.release(id);
  server_.release(id);
  EXPECT_EQ(client_.open_streams(), 0u);
  EXPECT_EQ(server_.open_streams(), 0u);

  // The listener opens even ids.
  EXPECT_EQ(server_.open_stream().value(), 2u);
}

class YamuxSmallWindowTest : public YamuxPipeTest {
 protected:
  YamuxSmallWindowTest() : YamuxPipeTest({}, SessionConfig{.receive_window = wire::yamux::kInitialWindow}) {}
};

TEST_F(YamuxSmallWindowTest, NeverSendsBeyondThePeersWindowAndResumesAsItReads) {
  auto id = client_.open_stream().value();
  std::string data(2 * 1024 * 1024 + 17, '\0');
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 31 + 7);
  std::size_t sent = 0;
  std::string received;
  std::size_t stalls = 0;
  while (received.size() < data.size()) {
    // Two writes per round: the second finds the window used up.
    for (int w = 0; w < 2; ++w) {
      auto n = client_.write(id, b(data).subspan(sent)).value();
      sent += n;
      if (n == 0 && sent < data.size()) ++stalls;
    }
    pump();
    EXPECT_LE(server_.stream(id).readable, wire::yamux::kInitialWindow);
    received += read_all(server_, id);  // consuming grants the window back
    pump();
  }
  EXPECT_EQ(received, data);
  EXPECT_GT(stalls, 0u);
  EXPECT_GT(client_.stats().window_stalls, 0u);
  EXPECT_EQ(server_.stats().window_violations, 0u);
}

TEST_F(YamuxPipeTest, ALargerReceiveWindowIsAnnouncedWithTheSyn) {
  auto id = client_.open_stream().value();
  pump();
  EXPECT_EQ(server_.stream(id).send_window, SessionConfig::kDefaultReceiveWindow);
  EXPECT_EQ(client_.stream(id).send_window, SessionConfig::kDefaultReceiveWindow);
}

TEST_F(YamuxPipeTest, AWindowViolationResetsOnlyThatStream) {
  // The client forges frames as a peer that ignores our window.
  std::string chunk(200 * 1024, 'x');
  std::string bytes = frame(FrameType::window_update, wire::yamux::kSyn, 1, 0);
  for (int i = 0; i < 6; ++i) bytes += frame(FrameType::data, 0, 1, static_cast<std::uint32_t>(chunk.size()), chunk);
  ASSERT_TRUE(server_.on_bytes(b(bytes)));
  auto events = server_.take_events();
  EXPECT_TRUE(has(events, Event::Kind::reset, 1));
  EXPECT_EQ(server_.stats().window_violations, 1u);
  EXPECT_TRUE(server_.stream(1).reset);
  EXPECT_FALSE(server_.dead());
  // The session still works: a ping is answered.
  server_.take_output();
  ASSERT_TRUE(server_.on_bytes(b(frame(FrameType::ping, wire::yamux::kSyn, 0, 99))));
  EXPECT_EQ(server_.take_output(), frame(FrameType::ping, wire::yamux::kAck, 0, 99));
}

TEST_F(YamuxPipeTest, ResetReachesThePeer) {
  auto id = client_.open_stream().value();
  pump();
  client_.reset(id);
  pump();
  EXPECT_TRUE(has(server_events_, Event::Kind::reset, id));
  std::array<std::uint8_t, 4> buf{};
  EXPECT_EQ(server_.read(id, buf).error(), error::stream_reset);
  EXPECT_EQ(server_.write(id, b("x")).error(), error::stream_reset);
  server_.release(id);
  client_.release(id);
  EXPECT_EQ(server_.open_streams(), 0u);
  EXPECT_EQ(client_.open_streams(), 0u);
}

TEST_F(YamuxPipeTest, ReleasingAnOpenStreamResetsIt) {
  auto id = client_.open_stream().value();
  pump();
  client_.release(id);
  pump();
  EXPECT_TRUE(has(server_events_, Event::Kind::reset, id));
  EXPECT_EQ(client_.open_streams(), 0u);
}

TEST_F(YamuxPipeTest, AHalfClosedStreamReleasedEarlyStillDeliversWhatItWrote) {
  // identify: the server writes, closes its side and drops the stream before
  // the client has read or closed anything.
  auto id = client_.open_stream().value();
  pump();
  ASSERT_TRUE(server_.write(id, b("identify message")));
  ASSERT_TRUE(server_.close_write(id));
  server_.release(id);
  pump();
  EXPECT_FALSE(has(client_events_, Event::Kind::reset, id));
  EXPECT_EQ(read_all(client_, id), "identify message");
  EXPECT_TRUE(client_.stream(id).eof);
  // Data the client still sends is dropped, and its window comes back.
  std::string big(300 * 1024, 'z');
  std::size_t sent = 0;
  for (int i = 0; i < 10 && sent < big.size(); ++i) {
    sent += client_.write(id, b(big).subspan(sent)).value();
    pump();
  }
  EXPECT_EQ(sent, big.size());
  ASSERT_TRUE(client_.close_write(id));
  pump();
  client_.release(id);
  EXPECT_EQ(server_.open_streams(), 0u);
  EXPECT_EQ(client_.open_streams(), 0u);
}

TEST_F(YamuxPipeTest, PingIsAnsweredWithTheSameValue) {
  client_.ping(0xabcdef);
  pump();
  ASSERT_EQ(client_events_.size(), 1u);
  EXPECT_EQ(client_events_[0].kind, Event::Kind::ping_ack);
  EXPECT_EQ(client_events_[0].value, 0xabcdefu);
}

TEST_F(YamuxPipeTest, GoAwayStopsNewStreamsButNotOpenOnes) {
  auto id = client_.open_stream().value();
  pump();
  server_.go_away(GoAwayCode::normal);
  pump();
  EXPECT_TRUE(has(client_events_, Event::Kind::go_away));
  EXPECT_TRUE(client_.remote_went_away());
  EXPECT_EQ(client_.open_stream().error(), error::going_away);
  ASSERT_TRUE(client_.write(id, b("still here")));
  pump();
  EXPECT_EQ(read_all(server_, id), "still here");
  // A SYN after our GoAway is refused with RST.
  EXPECT_EQ(server_.open_stream().error(), error::going_away);
}

TEST_F(YamuxPipeTest, StreamIdRulesAreEnforced) {
  // An inbound SYN with the receiver's own parity.
  Session s(Role::client);
  EXPECT_EQ(s.on_bytes(b(frame(FrameType::window_update, wire::yamux::kSyn, 3, 0))).error(),
            error::protocol_violation);
  EXPECT_TRUE(s.dead());
  EXPECT_EQ(s.take_output(), frame(FrameType::go_away, 0, 0, 1));
  // A reused or decreasing id.
  Session t(Role::server);
  ASSERT_TRUE(t.on_bytes(b(frame(FrameType::window_update, wire::yamux::kSyn, 5, 0))));
  EXPECT_EQ(t.on_bytes(b(frame(FrameType::window_update, wire::yamux::kSyn, 3, 0))).error(),
            error::protocol_violation);
}

TEST_F(YamuxPipeTest, MalformedHeadersKillTheSession) {
  Session s(Role::server);
  EXPECT_EQ(s.on_bytes(b(std::string(12, '\x07'))).error(), wire::error::bad_yamux_frame);
  EXPECT_TRUE(s.dead());
  EXPECT_EQ(s.on_bytes(b(frame(FrameType::ping, wire::yamux::kSyn, 0, 1))).error(), error::connection_closed);
  // A data frame longer than any window we grant, refused from its header.
  Session t(Role::server, SessionConfig{.receive_window = wire::yamux::kInitialWindow});
  EXPECT_EQ(t.on_bytes(b(frame(FrameType::data, wire::yamux::kSyn, 1, wire::yamux::kInitialWindow + 1))).error(),
            wire::error::frame_too_large);
}

TEST_F(YamuxPipeTest, ByteAtATimeInput) {
  auto id = client_.open_stream().value();
  ASSERT_TRUE(client_.write(id, b("split across many reads")));
  ASSERT_TRUE(client_.close_write(id));
  auto bytes = client_.take_output();
  for (char c : bytes) ASSERT_TRUE(server_.on_bytes(b(std::string(1, c))));
  EXPECT_EQ(read_all(server_, id), "split across many reads");
  EXPECT_TRUE(server_.stream(id).eof);
}

class YamuxLimitTest : public YamuxPipeTest {
 protected:
  YamuxLimitTest()
      : YamuxPipeTest(SessionConfig{.max_unacked_outbound = 2}, SessionConfig{.max_inbound_streams = 2}) {}
};

TEST_F(YamuxLimitTest, InboundAndUnacknowledgedStreamLimits) {
  auto a = client_.open_stream().value();
  auto c = client_.open_stream().value();
  EXPECT_EQ(client_.open_stream().error(), error::too_many_streams);  // ACK backlog full
  pump();
  auto d = client_.open_stream().value();  // acknowledged ones no longer count
  pump();
  EXPECT_TRUE(has(client_events_, Event::Kind::reset, d));  // over the inbound limit: RST
  EXPECT_EQ(server_.stats().streams_refused, 1u);
  EXPECT_FALSE(client_.stream(a).reset);
  EXPECT_FALSE(client_.stream(c).reset);
  // Closing one makes room.
  client_.release(d);
  ASSERT_TRUE(client_.close_write(a));
  ASSERT_TRUE(server_.close_write(a));
  pump();
  server_.release(a);
  client_.release(a);
  auto e = client_.open_stream().value();
  pump();
  EXPECT_FALSE(client_.stream(e).reset);
}

TEST_F(YamuxPipeTest, PingFloodWithoutReadingIsBounded) {
  Session s(Role::server, SessionConfig{.max_control_backlog = 1200});
  std::string flood;
  for (int i = 0; i < 1000; ++i) flood += frame(FrameType::ping, wire::yamux::kSyn, 0, static_cast<std::uint32_t>(i));
  ASSERT_TRUE(s.on_bytes(b(flood)));
  EXPECT_LE(s.output_size(), 1200u + 12u);
  EXPECT_GT(s.stats().pings_dropped, 0u);
}

// The output is scheduled, not first in first out: control frames go ahead
// of queued data, streams take turns a frame at a time, and a reset stream's
// queued data is dropped (issue 16: a slow link must not hold acks and
// window updates behind a window's worth of gossip).
TEST(YamuxOutputTest, ControlGoesFirstStreamsTakeTurnsAndAResetDropsItsData) {
  Session s(Role::client, SessionConfig{.max_frame_payload = 100});
  const auto big = s.open_stream().value();
  const auto small = s.open_stream().value();
  const auto gone = s.open_stream().value();
  s.take_output();                                                    // the three SYNs
  ASSERT_EQ(s.write(big, b(std::string(1000, 'b'))).value(), 1000u);  // ten frames
  ASSERT_EQ(s.write(gone, b(std::string(300, 'g'))).value(), 300u);
  ASSERT_EQ(s.write(small, b(std::string(50, 's'))).value(), 50u);
  EXPECT_EQ(s.queued(big), 10u * (12 + 100));
  s.ping(7);  // queued after all of that, sent before it
  s.reset(gone);
  EXPECT_EQ(s.queued(gone), 0u);
  EXPECT_EQ(s.output_size(), 12u * 2 + 10 * (12 + 100) + (12 + 50));

  std::string out;
  s.take_output(out, 1);  // at least one data frame whatever the budget
  EXPECT_EQ(out, frame(FrameType::ping, wire::yamux::kSyn, 0, 7) +
                     frame(FrameType::window_update, wire::yamux::kRst, gone, 0) +
                     frame(FrameType::data, 0, big, 100, std::string(100, 'b')));
  s.take_output(out, 1);
  EXPECT_EQ(out, frame(FrameType::data, 0, small, 50, std::string(50, 's')));  // its turn: not after big's ten
  s.take_output(out);
  EXPECT_EQ(out.size(), 9u * (12 + 100));
  EXPECT_EQ(out.find('g'), std::string::npos);
  EXPECT_FALSE(s.has_output());
}

// Bulk traffic (gossip) waits while another stream has data, but gets a
// frame after kBulkPatience takes without one: slowed, never starved.
TEST(YamuxOutputTest, BulkYieldsToOtherStreamsButIsNotStarved) {
  Session s(Role::client, SessionConfig{.max_frame_payload = 100});
  const auto gossip = s.open_stream().value();
  const auto dm = s.open_stream().value();
  s.set_traffic(gossip, Traffic::gossip);
  s.set_traffic(dm, Traffic::direct);
  s.take_output();
  ASSERT_EQ(s.write(gossip, b(std::string(500, 'g'))).value(), 500u);
  ASSERT_EQ(s.write(dm, b(std::string(1000, 'd'))).value(), 1000u);
  std::string out;
  std::string order;
  while (s.has_output()) {
    s.take_output(out, 1);
    ASSERT_EQ(out.size(), 12u + 100);
    order += out.back();
  }
  // The direct stream's frames first, one gossip frame after every
  // kBulkPatience of them, then the rest of the gossip.
  EXPECT_EQ(order, "ddddgddddgddggg");
  static_assert(Session::kBulkPatience == 4);
}

// A frame larger than what is left of a take's budget is split; the rest
// keeps its place, and the peer reads the data whole.
TEST(YamuxOutputTest, AFrameLargerThanTheBudgetIsSplit) {
  Session s(Role::client);
  Session peer(Role::server);
  const auto id = s.open_stream().value();
  ASSERT_TRUE(peer.on_bytes(b(s.take_output())));
  ASSERT_EQ(s.write(id, b(std::string(1500, 'a') + std::string(1500, 'z'))).value(), 3000u);  // one frame
  std::string out;
  std::string all;
  s.take_output(out, 1012);
  EXPECT_EQ(out, frame(FrameType::data, 0, id, 1000, std::string(1000, 'a')));
  EXPECT_EQ(s.queued(id), 12u + 2000);
  all += out;
  s.take_output(out, 100);  // at least kMinSplit of payload
  EXPECT_EQ(out, frame(FrameType::data, 0, id, 500 + 12, std::string(500, 'a') + std::string(12, 'z')));
  all += out;
  s.take_output(out);
  EXPECT_EQ(out, frame(FrameType::data, 0, id, 1488, std::string(1488, 'z')));
  EXPECT_FALSE(s.has_output());
  all += out;
  ASSERT_TRUE(peer.on_bytes(b(all)));
  std::array<std::uint8_t, 4000> buf{};
  ASSERT_EQ(peer.read(id, buf).value(), 3000u);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(buf.data()), 3000), std::string(1500, 'a') + std::string(1500, 'z'));
}

// Bulk data goes out only within the allowance the connection gives it (its
// rate once a queue builds in the path); other data is not limited.
TEST(YamuxOutputTest, BulkStaysWithinItsAllowance) {
  Session s(Role::client);
  const auto gossip = s.open_stream().value();
  const auto dm = s.open_stream().value();
  s.set_traffic(gossip, Traffic::gossip);
  s.set_traffic(dm, Traffic::direct);
  s.take_output();
  ASSERT_TRUE(s.write(gossip, b(std::string(5000, 'g'))));
  std::string out;
  EXPECT_EQ(s.take_output(out, SIZE_MAX, 0), 0u);
  EXPECT_TRUE(out.empty());
  EXPECT_FALSE(s.has_interactive_output());
  ASSERT_TRUE(s.write(dm, b(std::string(3000, 'd'))));
  EXPECT_TRUE(s.has_interactive_output());
  for (int i = 0; i < 6; ++i) {  // past kBulkPatience: still nothing of bulk without an allowance
    EXPECT_EQ(s.take_output(out, 600, 0), 0u);
    EXPECT_EQ(out.find('g'), std::string::npos);
  }
  EXPECT_EQ(s.take_output(out, SIZE_MAX, 1012), 1012u);  // a frame of 1000 bytes of gossip
  EXPECT_EQ(std::count(out.begin(), out.end(), 'g'), 1000);
  EXPECT_EQ(s.queued(gossip), 12u + 4000);
}

// Tagging a stream with data already queued moves that data to its class.
TEST(YamuxOutputTest, RetaggingMovesQueuedDataToTheNewClass) {
  Session s(Role::client, SessionConfig{.max_frame_payload = 100});
  const auto id = s.open_stream().value();
  const auto other = s.open_stream().value();
  s.take_output();
  ASSERT_TRUE(s.write(id, b(std::string(200, 'r'))));
  ASSERT_TRUE(s.write(other, b(std::string(100, 'o'))));
  const auto at = [&](Traffic t) { return s.traffic()[static_cast<std::size_t>(t)]; };
  EXPECT_EQ(at(Traffic::other).out.queued_bytes, 2u * 112 + 112);
  s.set_traffic(id, Traffic::replay);
  EXPECT_EQ(at(Traffic::other).out.queued_bytes, 112u);
  EXPECT_EQ(at(Traffic::replay).out.queued_bytes, 2u * 112);
  EXPECT_EQ(at(Traffic::replay).queued_frames, 2u);
  std::string out;
  s.take_output(out, 1);
  EXPECT_EQ(out.back(), 'o');  // replay is bulk now: it goes after
}

// Queue figures per class: depth, bytes sent, and how long data waited,
// outbound (to the socket) and inbound (to the reader), on a manual clock.
TEST(YamuxOutputTest, TrafficFiguresCountDepthAndWaitsPerClass) {
  core::ManualClock clock;
  Session client(Role::client, {}, &clock);
  Session server(Role::server, {}, &clock);
  const auto id = client.open_stream().value();
  client.set_traffic(id, Traffic::direct);
  ASSERT_TRUE(client.write(id, b(std::string(300, 'x'))));
  const auto direct = [](const Session& s) { return s.traffic()[static_cast<std::size_t>(Traffic::direct)]; };
  EXPECT_EQ(direct(client).out.queued_bytes, 12u + 300);
  EXPECT_EQ(direct(client).queued_frames, 1u);
  clock.advance(std::chrono::milliseconds(40));
  const auto out = client.take_output();
  EXPECT_EQ(direct(client).out.queued_bytes, 0u);
  EXPECT_EQ(direct(client).out.removed_bytes, 12u + 300);
  EXPECT_EQ(direct(client).out.dwell.count, 1u);
  EXPECT_EQ(direct(client).out.dwell.quantile(0.99), 50);  // 40 ms: the bucket up to 50
  EXPECT_GT(client.traffic()[static_cast<std::size_t>(Traffic::control)].out.removed_bytes, 0u);  // the SYN

  ASSERT_TRUE(server.on_bytes(b(out)));
  server.set_traffic(id, Traffic::direct);  // what the host does once the protocol is chosen
  EXPECT_EQ(direct(server).in.queued_bytes, 300u);
  clock.advance(std::chrono::milliseconds(3));
  std::array<std::uint8_t, 100> buf{};
  ASSERT_EQ(server.read(id, buf).value(), 100u);
  EXPECT_EQ(direct(server).in.dwell.count, 0u);  // not empty yet
  std::array<std::uint8_t, 400> rest{};
  ASSERT_EQ(server.read(id, rest).value(), 200u);
  EXPECT_EQ(direct(server).in.queued_bytes, 0u);
  EXPECT_EQ(direct(server).in.removed_bytes, 300u);
  EXPECT_EQ(direct(server).in.dwell.quantile(0.5), 5);  // 3 ms
}

}  // namespace
}  // namespace agentmesh::transport::yamux
