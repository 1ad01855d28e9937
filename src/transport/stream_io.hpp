#pragma once
// Length-prefixed messages on a Stream: lp(x) = uvarint(len(x)) || x, as
// identify, gossipsub and the direct-message protocol frame them.
// LpReader buffers what it read past a message for the next one; a length
// over `max` fails with message_too_large before anything is buffered for it.

#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "transport/connection.hpp"

namespace agentmesh::transport {

class LpReader {
 public:
  explicit LpReader(Stream& stream) : stream_(stream) {}
  // The next message; stream_closed on EOF (clean EOF between messages
  // included: check eof() to tell them apart).
  Task<Result<std::string>> read(std::size_t max);
  bool eof() const { return eof_; }
  // Bytes read past the last message (a protocol that hands the stream on
  // puts them back with Stream::unread).
  std::string take_buffered() { return std::exchange(buf_, {}); }

 private:
  Stream& stream_;
  std::string buf_;
  bool eof_ = false;
};

Task<Result<void>> write_lp(Stream& stream, std::string_view message);

// Many producers, one writer: push() frames a message and queues it; one
// coroutine (started on the stream's executor when the queue was idle)
// writes everything queued in one write. For protocols that write from
// several coroutines on one stream (the direct-message stream's acks).
// Bounded: push() refuses (false) beyond `max_bytes` queued, and after a
// write failed; the owner then resets the stream.
class LpWriteQueue : public std::enable_shared_from_this<LpWriteQueue> {
 public:
  LpWriteQueue(std::shared_ptr<Stream> stream, std::size_t max_bytes);
  bool push(std::string_view message);
  // Returns once everything pushed so far is written (or the write failed).
  Task<void> flushed();
  bool failed() const { return failed_; }
  std::size_t queued_bytes() const { return queued_.size(); }

 private:
  Task<void> drain();
  std::shared_ptr<Stream> stream_;
  std::size_t max_;
  std::string queued_;
  boost::asio::steady_timer idle_;  // cancelled whenever the writer finishes
  bool writing_ = false;
  bool failed_ = false;
};

}  // namespace agentmesh::transport
