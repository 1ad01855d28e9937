#pragma once
// core::error: failures of the value types in core/ (ids, hex, strong types).
//
// One enumerator per reason; every factory that validates input returns one of
// these. The API maps them through api/error_table.cpp (400 invalid_id etc).

#include <boost/system/error_category.hpp>
#include <boost/system/error_code.hpp>

namespace agentmesh::core {

enum class error {
  // Text is not lowercase hex of the expected length.
  invalid_hex = 1,
  // A byte string has the wrong length for the id type.
  invalid_length,
  // A name does not match the allowed alphabet or length.
  invalid_name,
  // A number is out of its allowed range.
  out_of_range,
  // A varint is truncated, longer than 9 bytes, or not minimally encoded.
  invalid_varint,
  // Text is not valid base58btc / base32 for the expected value.
  invalid_base_encoding,
  // A multihash is malformed or uses an unsupported function.
  invalid_multihash,
  // A PeerId names a key type other than Ed25519 (the only one supported).
  unsupported_key_type,
  // A multiaddr is malformed or uses an unsupported protocol.
  invalid_multiaddr,
};

const boost::system::error_category& error_category() noexcept;

inline boost::system::error_code make_error_code(error e) noexcept {
  return {static_cast<int>(e), error_category()};
}

}  // namespace agentmesh::core

template <>
struct boost::system::is_error_code_enum<agentmesh::core::error> : std::true_type {};
