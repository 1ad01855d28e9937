#pragma once
// Durable file helpers for small files (keys, tokens, the api.port file).
//
// write_file_atomic: write to a temp file in the same directory, fsync it,
// chmod, rename over the target, then fsync the directory, so after a crash the
// target holds either the old or the new contents, never a torn mix.
//
// Errors are boost::system::error_code values in the system category (errno).

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>

#include "core/result.hpp"

namespace agentmesh::core {

Result<void> write_file_atomic(const std::filesystem::path& path, std::string_view contents, mode_t mode);

// Reads a whole file of at most `max_bytes` (larger files are an error).
Result<std::string> read_small_file(const std::filesystem::path& path, std::size_t max_bytes = 1 << 20);

// Creates `dir` (and parents) with mode 0700 when missing.
Result<void> ensure_private_dir(const std::filesystem::path& dir);

// Permission checks used at daemon start. They return a message that says what
// is wrong and how to fix it, or an empty string when the file is fine.
//
// check_dir_private: the directory grants nothing to group or others. A data
// directory holds the database (every agent's decrypted messages, token
// hashes, the outbox) and the keys, so any access by others is refused.
std::string check_dir_private(const std::filesystem::path& dir);
std::string check_file_private(const std::filesystem::path& file);

// Removes every group and other permission bit from an existing file (mode
// 0600 for a file that was 0644). Returns the mode it had when it changed
// anything, nothing when the file was already private or does not exist.
Result<std::optional<unsigned>> make_file_private(const std::filesystem::path& file);

}  // namespace agentmesh::core
