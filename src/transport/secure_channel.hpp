#pragma once
// SecureChannel: a TCP socket after the Noise handshake. It knows the remote
// PeerId (verified in the handshake) and moves plaintext: write() encrypts
// into 65519-byte frames, read() decrypts whatever complete frames arrived.
// One reader and one writer at a time (the Connection's two loops).
//
// Frame lengths are checked before buffering (at most 65535); a frame that
// fails authentication, or a nonce about to wrap, ends the channel.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/peer_id.hpp"
#include "core/result.hpp"
#include "wire/noise.hpp"

namespace agentmesh::transport {

template <class T>
using Task = boost::asio::awaitable<T>;

class SecureChannel {
 public:
  using Socket = boost::asio::ip::tcp::socket;

  // `pending` holds ciphertext bytes that arrived with the handshake.
  SecureChannel(Socket socket, wire::noise::TransportKeys keys, core::PeerId remote, std::string pending);

  // Decrypts every complete frame available (waiting for at least one) in
  // place and sets `out` to their plaintexts, valid until the next read.
  // Socket errors (EOF included), decrypt_failed, nonce_exhausted.
  Task<Result<void>> read(std::vector<std::span<const std::uint8_t>>& out);
  // The same, appended to a string (the negotiation steps).
  Task<Result<void>> read(std::string& out);
  // Encrypts and writes all of `plaintext`.
  Task<Result<void>> write(std::span<const std::uint8_t> plaintext);

  Socket& socket() { return socket_; }
  const core::PeerId& remote() const { return remote_; }
  std::uint64_t bytes_in() const { return bytes_in_; }
  std::uint64_t bytes_out() const { return bytes_out_; }

 private:
  Socket socket_;
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
