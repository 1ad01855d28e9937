#pragma once
// Durable file helpers for small files (keys, tokens, the api.port file).
//
// write_file_atomic: write to a temp file in the same directory, fsync it,
// chmod, rename over the target, then fsync the directory, so after a crash the
// target holds either the old or the new contents, never a torn mix.
//
// Errors are boost::system::error_code values in the system category (errno).

#include <filesystem>
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
std::string check_dir_not_writable_by_others(const std::filesystem::path& dir);
std::string check_file_private(const std::filesystem::path& file);

}  // namespace agentmesh::core
