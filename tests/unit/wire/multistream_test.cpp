#include "wire/multistream.hpp"

#include <gtest/gtest.h>

#include "core/hex.hpp"
#include "wire/error.hpp"

namespace agentmesh::wire::multistream {
namespace {

std::span<const std::uint8_t> b(const std::string& s) { return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}; }

TEST(MultistreamTest, EncodingMatchesTheSpecExamples) {
  EXPECT_EQ(core::to_hex(b(encode("na"))), "036e610a");
  EXPECT_EQ(encode("/noise").substr(0, 1), "\x07");
  EXPECT_EQ(encode(kProtocolId).substr(0, 1), "\x13");
  EXPECT_EQ(encode("/yamux/1.0.0").substr(0, 1), "\x0d");
}

TEST(MultistreamTest, DialerAndListenerAgreeThroughTheNaLoop) {
  // js gossipsub's order: a v1.1 peer answers na to 1.2.0 and keeps going.
  Dialer dialer({"/meshsub/1.2.0", "/meshsub/1.1.0", "/meshsub/1.0.0"});
  Listener listener({"/meshsub/1.1.0", "/meshsub/1.0.0"});
  auto to_listener = dialer.start();
  std::optional<std::string> dialer_selected, listener_selected;
  for (int round = 0; round < 5 && !(dialer_selected && listener_selected); ++round) {
    auto l = listener.on_data(b(to_listener));
    ASSERT_TRUE(l) << l.error().message();
    if (l->selected) listener_selected = l->selected;
    auto d = dialer.on_data(b(l->send));
    ASSERT_TRUE(d) << d.error().message();
    if (d->selected) dialer_selected = d->selected;
    to_listener = d->send;
  }
  EXPECT_EQ(listener_selected, "/meshsub/1.1.0");
  EXPECT_EQ(dialer_selected, "/meshsub/1.1.0");
}

TEST(MultistreamTest, ByteAtATimeAndLeftoverData) {
  Listener listener({"/yamux/1.0.0"});
  const std::string in = encode(kProtocolId) + encode("/yamux/1.0.0") + "EARLY";
  std::string sent;
  std::optional<Step> done;
  for (char c : in.substr(0, in.size() - 5)) {
    auto step = listener.on_data(b(std::string(1, c)));
    ASSERT_TRUE(step);
    sent += step->send;
    if (step->selected) done = *step;
  }
  ASSERT_TRUE(done);
  EXPECT_EQ(sent, encode(kProtocolId) + encode("/yamux/1.0.0"));

  // Optimistic data in the same read as the echo goes to the selected protocol.
  Dialer dialer({"/yamux/1.0.0"});
  (void)dialer.start();
  auto d = dialer.on_data(b(encode(kProtocolId) + encode("/yamux/1.0.0") + "DATA"));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->selected, "/yamux/1.0.0");
  EXPECT_EQ(d->leftover, "DATA");
}

TEST(MultistreamTest, ListenerAnswersLs) {
  Listener listener({"/a", "/b"});
  auto step = listener.on_data(b(encode(kProtocolId) + encode("ls")));
  ASSERT_TRUE(step);
  const std::string list = encode("/a") + encode("/b");
  EXPECT_EQ(step->send, encode(kProtocolId) + std::string(1, static_cast<char>(list.size() + 1)) + list + "\n");
  EXPECT_FALSE(step->selected);
}

TEST(MultistreamTest, Failures) {
  Dialer d1({"/only"});
  (void)d1.start();
  EXPECT_EQ(d1.on_data(b(encode("/multistream/2.0.0"))).error(), error::bad_multistream_header);

  Dialer d2({"/only"});
  (void)d2.start();
  EXPECT_EQ(d2.on_data(b(encode(kProtocolId) + encode("na"))).error(), error::no_common_protocol);

  Dialer d3({"/only"});
  (void)d3.start();
  EXPECT_EQ(d3.on_data(b(encode(kProtocolId) + encode("/other"))).error(), error::unexpected_protocol);

  Listener l1({"/x"});
  EXPECT_EQ(l1.on_data(b(std::string("\x80\x10", 2))).error(), error::frame_too_large);  // 2048 > 1024
  Listener l2({"/x"});
  EXPECT_EQ(l2.on_data(b(std::string("\x03" "abc", 4))).error(), error::bad_multistream_message);  // no newline
  Listener l3({"/x"});
  EXPECT_EQ(l3.on_data(b(std::string("\x80\x00", 2))).error(), error::bad_length);  // non-minimal varint

  Listener l4({"/x"});
  std::string spam = encode(kProtocolId);
  for (std::size_t i = 0; i < kMaxMessages; ++i) spam += encode("/nope");
  EXPECT_EQ(l4.on_data(b(spam)).error(), error::negotiation_limit);
}

}  // namespace
}  // namespace agentmesh::wire::multistream
