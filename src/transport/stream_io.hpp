#pragma once
// Length-prefixed messages on a Stream: lp(x) = uvarint(len(x)) || x, as
// identify, gossipsub and the direct-message protocol frame them.
// LpReader buffers what it read past a message for the next one; a length
// over `max` fails with message_too_large before anything is buffered for it.

#include <memory>
#include <string>
#include <string_view>

#include "transport/connection.hpp"

namespace agentmesh::transport {

class LpReader {
 public:
  explicit LpReader(Stream& stream) : stream_(stream) {}
  // The next message; stream_closed on EOF (clean EOF between messages
  // included: check eof() to tell them apart).
  Task<Result<std::string>> read(std::size_t max);
  bool eof() const { return eof_; }

 private:
  Stream& stream_;
  std::string buf_;
  bool eof_ = false;
};

Task<Result<void>> write_lp(Stream& stream, std::string_view message);

}  // namespace agentmesh::transport
