#pragma once
// Internal to store/sqlite: a thin RAII layer over one sqlite3 connection with
// a prepared-statement cache. Not included outside store/sqlite/.
//
// Threading: a Db is used by one thread at a time (opened NOMUTEX).

#include <cstdint>
#include <span>
#include <sqlite3.h>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/result.hpp"

namespace agentmesh::store::sqlite {

// Maps a SQLite result code to store::error (constraint -> conflict, else io).
error_code map_error(int rc);

// A cached statement in use: binds parameters (1-based), steps, reads columns,
// and resets itself on destruction so the cache can hand it out again.
//
// A Query whose statement failed to prepare holds no statement: binds do
// nothing and step() returns the prepare error, so callers check once.
class Query {
 public:
  explicit Query(sqlite3_stmt* stmt, int prepare_rc = SQLITE_OK) : s_(stmt), prepare_rc_(prepare_rc) {}
  ~Query() {
    if (s_ == nullptr) return;
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;

  Query& bind(int i, std::int64_t v) {
    sqlite3_bind_int64(s_, i, v);
    return *this;
  }
  Query& bind_text(int i, std::string_view v) {
    // A null pointer would bind SQL NULL; empty values must stay empty.
    sqlite3_bind_text(s_, i, v.data() ? v.data() : "", static_cast<int>(v.size()), SQLITE_STATIC);
    return *this;
  }
  Query& bind_blob(int i, std::span<const std::uint8_t> v) {
    static const std::uint8_t kEmpty = 0;
    sqlite3_bind_blob(s_, i, v.data() ? v.data() : &kEmpty, static_cast<int>(v.size()), SQLITE_STATIC);
    return *this;
  }
  Query& bind_blob(int i, std::string_view v) {
    sqlite3_bind_blob(s_, i, v.data() ? v.data() : "", static_cast<int>(v.size()), SQLITE_STATIC);
    return *this;
  }

  // SQLITE_ROW, SQLITE_DONE or an error code.
  int step() { return s_ ? sqlite3_step(s_) : prepare_rc_; }
  // Steps to completion; error unless SQLITE_DONE.
  Result<void> exec();

  std::int64_t int64(int col) const { return sqlite3_column_int64(s_, col); }
  std::string text(int col) const;
  std::span<const std::uint8_t> blob(int col) const;

 private:
  sqlite3_stmt* s_;
  int prepare_rc_;
};

class Db {
 public:
  static Result<Db> open(const std::string& path);
  Db(Db&& o) noexcept : db_(std::exchange(o.db_, nullptr)), cache_(std::move(o.cache_)) {}
  Db& operator=(Db&&) = delete;
  ~Db();

  // A cached prepared statement for `sql` (which must outlive the Db: use literals).
  Query query(const char* sql);
  // Runs one or more statements without results.
  Result<void> exec(const char* sql);
  std::int64_t last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }
  int changes() const { return sqlite3_changes(db_); }
  // Frees the page cache's unused pages (they are read again when needed).
  void release_memory() { sqlite3_db_release_memory(db_); }

 private:
  explicit Db(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  std::unordered_map<const char*, sqlite3_stmt*> cache_;
};

// Applies the numbered migrations in migrations.cpp that are newer than the
// database's user_version, each in its own transaction.
Result<void> migrate(Db& db);

}  // namespace agentmesh::store::sqlite
