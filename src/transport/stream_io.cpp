#include "transport/stream_io.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/bytes.hpp"
#include "core/spawn.hpp"
#include "core/varint.hpp"
#include "transport/error.hpp"
#include "wire/error.hpp"

namespace agentmesh::transport {

namespace {
using core::bytes_of;
}  // namespace

Task<Result<std::string>> LpReader::read(std::size_t max) {
  for (;;) {
    auto len = core::read_uvarint(bytes_of(buf_));
    if (len) {
      if (len->value > max) co_return make_error_code(error::message_too_large);
      if (buf_.size() - len->size >= len->value) {
        std::string msg = buf_.substr(len->size, len->value);
        buf_.erase(0, len->size + len->value);
        co_return msg;
      }
    } else {
      // Malformed unless every byte so far continues the varint (truncated).
      bool truncated = buf_.size() < core::kMaxVarintBytes;
      for (char c : buf_) truncated = truncated && (static_cast<std::uint8_t>(c) & 0x80) != 0;
      if (!truncated) co_return make_error_code(wire::error::bad_length);
    }
    std::array<std::uint8_t, 16 * 1024> chunk{};
    auto n = co_await stream_.read_some(chunk);
    if (!n) co_return n.error();
    if (*n == 0) {
      eof_ = buf_.empty();
      co_return make_error_code(error::stream_closed);
    }
    buf_.append(reinterpret_cast<const char*>(chunk.data()), *n);
  }
}

Task<Result<void>> write_lp(Stream& stream, std::string_view message) {
  std::string framed;
  core::append_uvarint(framed, message.size());
  framed.append(message);
  co_return co_await stream.write(bytes_of(framed));
}

LpWriteQueue::LpWriteQueue(std::shared_ptr<Stream> stream, std::size_t max_bytes)
    : stream_(std::move(stream)),
      max_(max_bytes),
      idle_(stream_->connection().executor(), boost::asio::steady_timer::time_point::max()) {}

Task<void> LpWriteQueue::flushed() {
  auto self = shared_from_this();
  while (writing_) co_await idle_.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
}

bool LpWriteQueue::push(std::string_view message) {
  if (failed_ || queued_.size() + message.size() > max_) return false;
  core::append_uvarint(queued_, message.size());
  queued_.append(message);
  if (!writing_) {
    writing_ = true;
    core::spawn(stream_->connection().executor(), stream_->connection().tasks(), "lp_write",
                stream_->peer().to_string(), [self = shared_from_this()]() -> Task<void> { co_await self->drain(); });
  }
  return true;
}

Task<void> LpWriteQueue::drain() {
  while (!queued_.empty() && !failed_) {
    std::string batch;
    batch.swap(queued_);
    auto w = co_await stream_->write(bytes_of(batch));
    if (!w) failed_ = true;
  }
  writing_ = false;
  idle_.cancel();
}

}  // namespace agentmesh::transport
