#include "transport/secure_channel.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <algorithm>
#include <cstring>

#include "core/awaitable.hpp"
#include "crypto/crypto.hpp"
#include "transport/connection.hpp"

namespace agentmesh::transport {

namespace asio = boost::asio;

namespace {
using core::kTuple;
// The read buffer starts small (an idle connection costs little) and grows
// to hold several maximal frames per read once traffic needs it.
constexpr std::size_t kInitialReadBuffer = 4 * 1024;
constexpr std::size_t kMaxReadBuffer = 4 * (2 + wire::noise::kMaxMessage);
}  // namespace

Task<Result<std::size_t>> RawLink::read_some(std::span<std::uint8_t> out) {
  if (circuit) {
    auto n = co_await circuit->read_some(out);
    if (!n) co_return n.error();
    if (*n == 0) co_return make_error_code(asio::error::eof);
    co_return *n;
  }
  auto buf = asio::buffer(out.data(), out.size());
  auto [ec, n] = co_await socket.async_read_some(buf, kTuple);
  if (ec) co_return ec;
  co_return n;
}

Task<Result<void>> RawLink::write(std::span<const std::uint8_t> data) {
  if (circuit) co_return co_await circuit->write(data);
  auto buf = asio::buffer(data.data(), data.size());
  auto [ec, n] = co_await asio::async_write(socket, buf, kTuple);
  if (ec) co_return ec;
  co_return Result<void>{};
}

void RawLink::shutdown() {
  if (circuit) {
    (void)circuit->close_write();
    return;
  }
  boost::system::error_code ignored;
  socket.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
}

void RawLink::close() {
  if (circuit) {
    circuit->reset();
    return;
  }
  boost::system::error_code ignored;
  socket.close(ignored);
}

SecureChannel::SecureChannel(RawLink link, wire::noise::TransportKeys keys, core::PeerId remote, std::string pending)
    : link_(std::move(link)), keys_(std::move(keys)), remote_(remote),
      rbuf_(std::max(kInitialReadBuffer, pending.size())) {
  std::memcpy(rbuf_.data(), pending.data(), pending.size());
  rlen_ = pending.size();
}

std::optional<core::PeerId> SecureChannel::relay() const {
  if (!link_.circuit) return std::nullopt;
  return link_.circuit->peer();
}

Task<Result<void>> SecureChannel::read(std::vector<std::span<const std::uint8_t>>& out) {
  out.clear();
  // What the previous call handed out is no longer needed: keep the tail.
  if (rconsumed_ > 0) {
    std::memmove(rbuf_.data(), rbuf_.data() + rconsumed_, rlen_ - rconsumed_);
    rlen_ -= rconsumed_;
    rconsumed_ = 0;
  }
  for (;;) {
    std::size_t pos = 0;
    while (rlen_ - pos >= 2) {
      const std::size_t len = (static_cast<std::size_t>(rbuf_[pos]) << 8) | rbuf_[pos + 1];
      if (rlen_ - pos < 2 + len) break;
      auto* frame = rbuf_.data() + pos + 2;
      if (auto r = keys_.recv.open_in_place({frame, len}); !r) co_return r.error();
      if (len > crypto::kAeadTagSize) out.emplace_back(frame, len - crypto::kAeadTagSize);
      pos += 2 + len;
    }
    rconsumed_ = pos;
    if (pos > 0) co_return Result<void>{};
    // No complete frame: make room for the one under way, and for more than
    // one when the buffer keeps filling up.
    std::size_t need = rlen_ + 1;
    if (rlen_ >= 2) need = std::max(need, 2 + ((static_cast<std::size_t>(rbuf_[0]) << 8) | rbuf_[1]));
    if (rlen_ == rbuf_.size()) need = std::max(need, rbuf_.size() * 2);
    if (need > rbuf_.size()) rbuf_.resize(std::min(std::max(need, rbuf_.size() * 2), kMaxReadBuffer));
    std::size_t n = 0;
    if (link_.circuit) {
      auto got = co_await link_.read_some({rbuf_.data() + rlen_, rbuf_.size() - rlen_});
      if (!got) co_return got.error();
      n = *got;
    } else {  // the socket directly: no coroutine frame per read on the common path
      auto buf = asio::buffer(rbuf_.data() + rlen_, rbuf_.size() - rlen_);
      auto [ec, got] = co_await link_.socket.async_read_some(buf, kTuple);
      if (ec) co_return ec;
      n = got;
    }
    rlen_ += n;
    bytes_in_ += n;
  }
}

Task<Result<void>> SecureChannel::read(std::string& out) {
  std::vector<std::span<const std::uint8_t>> spans;
  for (;;) {
    if (auto r = co_await read(spans); !r) co_return r;
    for (const auto& s : spans) out.append(reinterpret_cast<const char*>(s.data()), s.size());
    if (!spans.empty()) co_return Result<void>{};
  }
}

Task<Result<void>> SecureChannel::write(std::span<const std::uint8_t> plaintext) {
  const std::size_t size = wire::noise::TransportCipher::sealed_size(plaintext.size());
  if (wbuf_.size() < size) wbuf_.resize(size);
  if (auto r = keys_.send.seal_into(plaintext, wbuf_.data()); !r) co_return r.error();
  if (link_.circuit) {
    if (auto r = co_await link_.write({wbuf_.data(), size}); !r) co_return r;
    bytes_out_ += size;
    co_return Result<void>{};
  }
  auto buf = asio::buffer(wbuf_.data(), size);
  auto [ec, n] = co_await asio::async_write(link_.socket, buf, kTuple);
  if (ec) co_return ec;
  bytes_out_ += n;
  co_return Result<void>{};
}

}  // namespace agentmesh::transport
