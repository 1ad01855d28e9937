#pragma once
// The SQLite Store backend: one database file, WAL, synchronous=FULL,
// numbered migrations (migrations.cpp), cached prepared statements.
//
// open_sqlite_store() opens (creating if needed) and migrates the database.
// The returned handle belongs to one thread; open_reader() gives another
// connection to the same file for a second thread. No sqlite3 type leaves
// store/sqlite/.

#include <filesystem>
#include <memory>

#include "store/store.hpp"

namespace agentmesh::store {

Result<std::unique_ptr<Store>> open_sqlite_store(const std::filesystem::path& path);

// Number of migrations this binary knows (the schema version it writes).
std::size_t sqlite_schema_version();

// What this process's WAL writes have cost since it started: the writes
// SQLite asked for (a frame is two: its header and its page) and the system
// calls that carried them (the VFS gathers a commit's frames).
struct WalWriteFigures {
  std::uint64_t writes = 0;
  std::uint64_t calls = 0;
};
WalWriteFigures sqlite_wal_writes();

}  // namespace agentmesh::store
