#include "transport/secure_channel.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <cstring>

namespace agentmesh::transport {

namespace asio = boost::asio;

namespace {
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
// Room for several maximal frames per read.
constexpr std::size_t kReadBuffer = 4 * (2 + wire::noise::kMaxMessage);
}  // namespace

SecureChannel::SecureChannel(Socket socket, wire::noise::TransportKeys keys, core::PeerId remote, std::string pending)
    : socket_(std::move(socket)), keys_(std::move(keys)), remote_(remote), rbuf_(kReadBuffer) {
  std::memcpy(rbuf_.data(), pending.data(), std::min(pending.size(), rbuf_.size()));
  rlen_ = std::min(pending.size(), rbuf_.size());
}

Task<Result<void>> SecureChannel::read(std::string& out) {
  const std::size_t before = out.size();
  for (;;) {
    std::size_t pos = 0;
    while (rlen_ - pos >= 2) {
      const std::size_t len = (static_cast<std::size_t>(rbuf_[pos]) << 8) | rbuf_[pos + 1];
      if (rlen_ - pos < 2 + len) break;
      if (auto r = keys_.recv.open({rbuf_.data() + pos + 2, len}, out); !r) co_return r.error();
      pos += 2 + len;
    }
    if (pos > 0) {
      std::memmove(rbuf_.data(), rbuf_.data() + pos, rlen_ - pos);
      rlen_ -= pos;
    }
    if (out.size() > before) co_return Result<void>{};
    auto buf = asio::buffer(rbuf_.data() + rlen_, rbuf_.size() - rlen_);
    auto [ec, n] = co_await socket_.async_read_some(buf, kTuple);
    if (ec) co_return ec;
    rlen_ += n;
    bytes_in_ += n;
  }
}

Task<Result<void>> SecureChannel::write(std::span<const std::uint8_t> plaintext) {
  wbuf_.clear();
  if (auto r = keys_.send.seal(plaintext, wbuf_); !r) co_return r.error();
  auto buf = asio::buffer(wbuf_);
  auto [ec, n] = co_await asio::async_write(socket_, buf, kTuple);
  if (ec) co_return ec;
  bytes_out_ += n;
  co_return Result<void>{};
}

}  // namespace agentmesh::transport
