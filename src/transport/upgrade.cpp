#include "transport/upgrade.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "core/awaitable.hpp"
#include "transport/detail/negotiate.hpp"
#include "wire/noise.hpp"
#include "wire/yamux_frame.hpp"

namespace agentmesh::transport {

namespace asio = boost::asio;

namespace {

using core::kTuple;
constexpr std::string_view kYamux = "/yamux/1.0.0";

// The raw link before Noise, with a buffer of bytes read but not used.
struct RawIO {
  RawLink& link;
  std::string pending;

  Task<Result<void>> read_more(std::string& out) {
    if (!pending.empty()) {
      out += std::exchange(pending, {});
      co_return Result<void>{};
    }
    std::array<std::uint8_t, 4096> buf{};
    auto n = co_await link.read_some(buf);
    if (!n) co_return n.error();
    out.append(reinterpret_cast<const char*>(buf.data()), *n);
    co_return Result<void>{};
  }
  // Reads until `pending` holds at least n bytes.
  Task<Result<void>> fill(std::size_t n) {
    while (pending.size() < n) {
      std::array<std::uint8_t, 4096> buf{};
      auto got = co_await link.read_some(buf);
      if (!got) co_return got.error();
      pending.append(reinterpret_cast<const char*>(buf.data()), *got);
    }
    co_return Result<void>{};
  }
  Task<Result<void>> write(std::string_view bytes) {
    return link.write({reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()});
  }
};

// The Noise channel, for the muxer negotiation.
struct ChannelIO {
  SecureChannel& channel;
  Task<Result<void>> read_more(std::string& out) { return channel.read(out); }
  Task<Result<void>> write(std::string_view bytes) {
    return channel.write({reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()});
  }
};

Task<Result<void>> write_noise_message(RawIO& io, const std::string& message) {
  std::string framed;
  framed.push_back(static_cast<char>(message.size() >> 8));
  framed.push_back(static_cast<char>(message.size() & 0xff));
  framed += message;
  co_return co_await io.write(framed);
}

Task<Result<std::string>> read_noise_message(RawIO& io) {
  if (auto r = co_await io.fill(2); !r) co_return r.error();
  const std::size_t len = (static_cast<std::uint8_t>(io.pending[0]) << 8) | static_cast<std::uint8_t>(io.pending[1]);
  if (auto r = co_await io.fill(2 + len); !r) co_return r.error();
  std::string msg = io.pending.substr(2, len);
  io.pending.erase(0, 2 + len);
  co_return msg;
}

}  // namespace

Task<Result<Upgraded>> upgrade(RawLink link, Direction direction, const crypto::SigningKey& identity,
                               std::optional<core::PeerId> expected, core::Multiaddr remote_addr,
                               yamux::SessionConfig yamux, std::chrono::milliseconds keepalive) {
  const bool dialer = direction == Direction::outbound;
  RawIO raw{link, {}};

  // 1. /noise
  std::vector<std::string> noise_only{std::string(wire::noise::kProtocolId)};
  // (No co_await inside ?: — GCC 12 destroys its temporaries twice.)
  Result<detail::Selected> security = make_error_code(error::dial_failed);
  if (dialer) {
    security = co_await detail::select_as_dialer(raw, noise_only);
  } else {
    security = co_await detail::select_as_listener(raw, noise_only);
  }
  if (!security) co_return security.error();
  raw.pending = std::move(security->leftover);

  // 2. Noise XX
  wire::noise::Handshake handshake(
      dialer ? wire::noise::Handshake::Role::initiator : wire::noise::Handshake::Role::responder, identity, expected);
  while (!handshake.done()) {
    if (handshake.our_turn()) {
      auto msg = handshake.write_message();
      if (!msg) co_return msg.error();
      if (auto w = co_await write_noise_message(raw, *msg); !w) co_return w.error();
    } else {
      auto msg = co_await read_noise_message(raw);
      if (!msg) co_return msg.error();
      if (auto r = handshake.read_message(detail::as_span(*msg)); !r) co_return r.error();
    }
  }
  SecureChannel channel(std::move(link), handshake.split(), *handshake.remote_peer(), std::move(raw.pending));

  // 3. /yamux/1.0.0 inside Noise
  ChannelIO io{channel};
  std::vector<std::string> yamux_only{std::string(kYamux)};
  Result<detail::Selected> muxer = make_error_code(error::dial_failed);
  if (dialer) {
    muxer = co_await detail::select_as_dialer(io, yamux_only);
  } else {
    muxer = co_await detail::select_as_listener(io, yamux_only);
  }
  if (!muxer) co_return muxer.error();

  auto conn = std::make_shared<Connection>(std::move(channel), direction, std::move(remote_addr), yamux, keepalive);
  co_return Upgraded{std::move(conn), std::move(muxer->leftover)};
}

}  // namespace agentmesh::transport
