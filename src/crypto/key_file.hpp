#pragma once
// Key files: one Ed25519 seed per file, 64 lowercase hex characters and a
// newline, mode 0600, written atomically (core::write_file_atomic).
//
// Layout under the data directory:
//   node.key                 the daemon's identity (its libp2p PeerId)
//   agents/<agent_id>.key    one per local agent
//
// load_key refuses files that group or others can read (the message says how
// to fix it); load_or_create_key creates a fresh key when the file is absent.

#include <filesystem>

#include "core/result.hpp"
#include "crypto/crypto.hpp"

namespace agentmesh::crypto {

Result<SigningKey> load_key(const std::filesystem::path& path);
Result<void> save_key(const std::filesystem::path& path, const SigningKey& key);
Result<SigningKey> load_or_create_key(const std::filesystem::path& path);

}  // namespace agentmesh::crypto
