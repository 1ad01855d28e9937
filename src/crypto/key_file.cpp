#include "crypto/key_file.hpp"

#include <sodium.h>

#include "core/fs.hpp"
#include "core/hex.hpp"
#include "crypto/error.hpp"

namespace agentmesh::crypto {

Result<SigningKey> load_key(const std::filesystem::path& path) {
  auto text = core::read_small_file(path, 256);
  if (!text) return text.error();
  std::string_view hex = *text;
  while (!hex.empty() && (hex.back() == '\n' || hex.back() == '\r')) hex.remove_suffix(1);
  std::array<std::uint8_t, kSeedSize> seed{};
  auto decoded = core::from_hex_into(hex, seed);
  sodium_memzero(text->data(), text->size());
  if (!decoded) return error::bad_key_file;
  auto key = SigningKey::from_seed(seed);
  sodium_memzero(seed.data(), seed.size());
  return key;
}

Result<void> save_key(const std::filesystem::path& path, const SigningKey& key) {
  std::string text = core::to_hex(key.seed()) + "\n";
  auto r = core::write_file_atomic(path, text, 0600);
  sodium_memzero(text.data(), text.size());
  return r;
}

Result<SigningKey> load_or_create_key(const std::filesystem::path& path) {
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) return load_key(path);
  auto key = SigningKey::generate();
  if (auto r = save_key(path, key); !r) return r.error();
  return key;
}

}  // namespace agentmesh::crypto
