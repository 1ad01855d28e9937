#pragma once
// SecureChannel: a TCP socket (or a relayed circuit: RawLink) after the Noise
// handshake. It knows the remote
// PeerId (verified in the handshake) and moves plaintext: write() encrypts
// into 65519-byte frames, read() decrypts whatever complete frames arrived.
// One reader and one writer at a time (the Connection's two loops).
//
// Frame lengths are checked before buffering (at most 65535); a frame that
// fails authentication, or a nonce about to wrap, ends the channel.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/peer_id.hpp"
#include "core/result.hpp"
#include "wire/noise.hpp"

namespace agentmesh::transport {

template <class T>
using Task = boost::asio::awaitable<T>;

class Stream;

// The bytes under Noise: a TCP socket, or a circuit through a relay (a
// stream on our connection to the relay, transport/relay.hpp), in which case
// the socket is never opened (socket options and TCP_INFO then fail quietly:
// no pacing on a relayed connection).
struct RawLink {
  boost::asio::ip::tcp::socket socket;
  std::shared_ptr<Stream> circuit;

  // What is available, at least one byte; EOF is asio::error::eof.
  Task<Result<std::size_t>> read_some(std::span<std::uint8_t> out);
  Task<Result<void>> write(std::span<const std::uint8_t> data);
  // No more writes (TCP shutdown, or the circuit stream's FIN).
  void shutdown();
  // Both ways, now (close the socket, or reset the circuit stream).
  void close();
};

class SecureChannel {
 public:
  using Socket = boost::asio::ip::tcp::socket;

  // `pending` holds ciphertext bytes that arrived with the handshake.
  SecureChannel(RawLink link, wire::noise::TransportKeys keys, core::PeerId remote, std::string pending);

  // Decrypts every complete frame available (waiting for at least one) in
  // place and sets `out` to their plaintexts, valid until the next read.
  // Socket errors (EOF included), decrypt_failed, nonce_exhausted.
  Task<Result<void>> read(std::vector<std::span<const std::uint8_t>>& out);
  // The same, appended to a string (the negotiation steps).
  Task<Result<void>> read(std::string& out);
  // Encrypts and writes all of `plaintext`.
  Task<Result<void>> write(std::span<const std::uint8_t> plaintext);

  Socket& socket() { return link_.socket; }
  // Carried by a relay's circuit rather than a socket of its own.
  bool relayed() const { return link_.circuit != nullptr; }
  // The relay whose circuit carries the channel, if relayed.
  std::optional<core::PeerId> relay() const;
  void shutdown() { link_.shutdown(); }
  void close() { link_.close(); }
  const core::PeerId& remote() const { return remote_; }
  std::uint64_t bytes_in() const { return bytes_in_; }
  std::uint64_t bytes_out() const { return bytes_out_; }

 private:
  RawLink link_;
  wire::noise::TransportKeys keys_;
  core::PeerId remote_;
  std::vector<std::uint8_t> rbuf_;
  std::size_t rlen_ = 0;      // bytes in rbuf_
  std::size_t rconsumed_ = 0; // bytes of rbuf_ already handed out (decrypted in place)
  std::vector<std::uint8_t> wbuf_;  // grows, never shrinks: no allocation per write
  std::uint64_t bytes_in_ = 0;
  std::uint64_t bytes_out_ = 0;
};

}  // namespace agentmesh::transport
