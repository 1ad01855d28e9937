#pragma once
// crypto::error: failures of key handling, signatures and authenticated
// encryption. Messages never include key material.

#include <boost/system/error_category.hpp>
#include <boost/system/error_code.hpp>

namespace agentmesh::crypto {

enum class error {
  // libsodium could not be initialised (no entropy source).
  init_failed = 1,
  // A key has the wrong size or is not a valid curve point.
  invalid_key,
  // A signature does not verify.
  bad_signature,
  // AEAD authentication failed: wrong key, tampered or truncated ciphertext.
  decrypt_failed,
  // A key file has the wrong size or format.
  bad_key_file,
};

const boost::system::error_category& error_category() noexcept;

inline boost::system::error_code make_error_code(error e) noexcept {
  return {static_cast<int>(e), error_category()};
}

}  // namespace agentmesh::crypto

template <>
struct boost::system::is_error_code_enum<agentmesh::crypto::error> : std::true_type {};
