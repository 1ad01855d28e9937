#pragma once
// Internal to store/sqlite: the VFS every connection opens its database with.
//
// It is the platform's default VFS except for the write-ahead log: SQLite
// writes a commit's WAL frames one pwrite at a time (a 24-byte header, then
// the page), about a hundred system calls for a task step. This VFS gathers
// contiguous writes to the WAL in a buffer and writes them with one call once
// a transaction's commit frame is in it (before SQLite syncs the file or shows
// the commit to other connections, whatever `synchronous` says), when SQLite
// reads the file, asks its size, truncates or closes it, and when a write is
// not contiguous or the buffer is full. Nothing is reported durable sooner,
// and a failed write fails the commit.
//
// The main database file and every other file are the default VFS's own
// objects, unchanged. The database format on disk is the same either way.

namespace agentmesh::store::sqlite {

// The VFS's name, registered on first use (thread-safe); pass it to
// sqlite3_open_v2. Null if registration failed (then the default is used).
const char* wal_vfs_name();

// Its counters are store::sqlite_wal_writes() (store/sqlite/sqlite_store.hpp).

}  // namespace agentmesh::store::sqlite
