#include "transport/secure_channel.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <algorithm>
#include <cstring>

#include "crypto/crypto.hpp"
#include "core/awaitable.hpp"

namespace agentmesh::transport {

namespace asio = boost::asio;

namespace {
using core::kTuple;
// The read buffer starts small (an idle connection costs little) and grows
// to hold several maximal frames per read once traffic needs it.
constexpr std::size_t kInitialReadBuffer = 4 * 1024;
constexpr std::size_t kMaxReadBuffer = 4 * (2 + wire::noise::kMaxMessage);
}  // namespace

SecureChannel::SecureChannel(Socket socket, wire::noise::TransportKeys keys, core::PeerId remote, std::string pending)
    : socket_(std::move(socket)), keys_(std::move(keys)), remote_(remote),
      rbuf_(std::max(kInitialReadBuffer, pending.size())) {
  std::memcpy(rbuf_.data(), pending.data(), pending.size());
  rlen_ = pending.size();
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
    auto buf = asio::buffer(rbuf_.data() + rlen_, rbuf_.size() - rlen_);
    auto [ec, n] = co_await socket_.async_read_some(buf, kTuple);
    if (ec) co_return ec;
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
  auto buf = asio::buffer(wbuf_.data(), size);
  auto [ec, n] = co_await asio::async_write(socket_, buf, kTuple);
  if (ec) co_return ec;
  bytes_out_ += n;
  co_return Result<void>{};
}

}  // namespace agentmesh::transport
