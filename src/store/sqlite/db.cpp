#include "store/sqlite/db.hpp"

#include "store/error.hpp"
#include "store/sqlite/wal_vfs.hpp"

namespace agentmesh::store::sqlite {

error_code map_error(int rc) {
  if ((rc & 0xff) == SQLITE_CONSTRAINT) return error::conflict;
  return error::io;
}

Result<void> Query::exec() {
  int rc;
  while ((rc = step()) == SQLITE_ROW) {
  }
  if (rc != SQLITE_DONE) return map_error(rc);
  return {};
}

std::string Query::text(int col) const {
  const auto* p = sqlite3_column_text(s_, col);
  const int n = sqlite3_column_bytes(s_, col);
  return p ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n)) : std::string();
}

std::span<const std::uint8_t> Query::blob(int col) const {
  const auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(s_, col));
  const int n = sqlite3_column_bytes(s_, col);
  return p ? std::span<const std::uint8_t>(p, static_cast<std::size_t>(n)) : std::span<const std::uint8_t>();
}

Result<Db> Db::open(const std::string& path) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw,
                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, wal_vfs_name());
  Db db(raw);  // closes raw even when open failed
  if (rc != SQLITE_OK) return map_error(rc);
  sqlite3_busy_timeout(raw, 10000);
  sqlite3_extended_result_codes(raw, 1);
  if (auto r = db.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"); !r) {
    return r.error();
  }
  return db;
}

Db::~Db() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  if (db_) sqlite3_close(db_);
}

Query Db::query(const char* sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end()) return Query(it->second);
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return Query(nullptr, rc == SQLITE_OK ? SQLITE_ERROR : rc);
  }
  cache_.emplace(sql, stmt);
  return Query(stmt);
}

Result<void> Db::exec(const char* sql) {
  const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return map_error(rc);
  return {};
}

}  // namespace agentmesh::store::sqlite
