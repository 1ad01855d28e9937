// The VFS that gathers WAL writes (store/sqlite/wal_vfs.hpp): what it writes
// is the database SQLite's own VFS reads, in far fewer system calls.
#include <filesystem>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <string>

#include "store/sqlite/sqlite_store.hpp"
#include "store/sqlite/wal_vfs.hpp"

namespace agentmesh::store::sqlite {
namespace {

namespace fs = std::filesystem;

class WalVfsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("wal-vfs-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
                                        "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    path_ = (dir_ / "t.db").string();
    ASSERT_NE(wal_vfs_name(), nullptr);
  }
  void TearDown() override {
    for (auto* db : open_) sqlite3_close(db);
    fs::remove_all(dir_);
  }

  // `vfs` null: SQLite's default VFS.
  sqlite3* open(const char* vfs) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, vfs), SQLITE_OK);
    open_.push_back(db);
    exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA wal_autocheckpoint=0;");
    return db;
  }
  static void exec(sqlite3* db, const std::string& sql) {
    ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK) << sql << ": " << sqlite3_errmsg(db);
  }
  static std::string text(sqlite3* db, const std::string& sql) {
    sqlite3_stmt* s = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    std::string out;
    if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0)) {
      out = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
    }
    sqlite3_finalize(s);
    return out;
  }
  // Rows whose values are a function of the id and a round, so a reader can
  // say which round it sees: v = the round's digit repeated 2,000 times.
  static std::string rows_of_round(int first, int last, int round) {
    return "WITH RECURSIVE n(i) AS (SELECT " + std::to_string(first) + " UNION ALL SELECT i + 1 FROM n WHERE i < " +
           std::to_string(last) + ") INSERT OR REPLACE INTO t(id, v) SELECT i, printf('%.2000c', '" +
           std::to_string(round) + "') FROM n;";
  }
  static constexpr const char* kCreateTable = "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT NOT NULL);";
  static constexpr const char* kSummary = "SELECT count(*) || ' ' || group_concat(DISTINCT substr(v, 1, 1)) FROM t";

  fs::path dir_;
  std::string path_;
  std::vector<sqlite3*> open_;
};

TEST_F(WalVfsTest, ACommitMuchLargerThanTheBufferIsWrittenInFewCallsAndReadByTheDefaultVfs) {
  auto* db = open(wal_vfs_name());
  exec(db, kCreateTable);
  const auto before = sqlite_wal_writes();
  // About 1.2 MB of frames in one commit: several times the buffer, and over
  // the 128 KiB a single write of the default VFS can carry.
  exec(db, "BEGIN;" + rows_of_round(1, 600, 1) + "COMMIT;");
  const auto after = sqlite_wal_writes();
  const auto writes = after.writes - before.writes;
  const auto flushes = after.calls - before.calls;
  EXPECT_GT(writes, 600u);  // a header and a page per frame
  EXPECT_LT(flushes * 20, writes);
  EXPECT_GT(flushes, 1u);

  // Still in the WAL (no checkpoint): another connection on the default VFS
  // reads every row.
  auto* plain = open(nullptr);
  EXPECT_EQ(text(plain, kSummary), "600 1");
  EXPECT_EQ(text(plain, "PRAGMA integrity_check"), "ok");
}

TEST_F(WalVfsTest, RewrittenFramesAndRolledBackSavepointsLeaveTheLastCommittedValues) {
  auto* db = open(wal_vfs_name());
  exec(db, kCreateTable);
  exec(db, "BEGIN;" + rows_of_round(1, 200, 1) + "COMMIT;");
  // One transaction rewrites the same pages again and again (SQLite
  // overwrites a frame of this transaction in place, behind the buffer's
  // end), and rolls a savepoint back.
  std::string sql = "BEGIN;";
  for (int round = 2; round <= 5; ++round) sql += rows_of_round(1, 200, round);
  sql += "SAVEPOINT s;" + rows_of_round(1, 200, 9) + "ROLLBACK TO s; RELEASE s;" + rows_of_round(150, 250, 6);
  exec(db, sql + "COMMIT;");
  auto* plain = open(nullptr);
  EXPECT_EQ(text(plain, "SELECT count(*) FROM t WHERE substr(v, 1, 1) = '5'"), "149");
  EXPECT_EQ(text(plain, "SELECT count(*) FROM t WHERE substr(v, 1, 1) = '6'"), "101");
  EXPECT_EQ(text(plain, "SELECT count(*) FROM t WHERE substr(v, 1, 1) = '9'"), "0");

  // A checkpoint that truncates the WAL, then more commits on the emptied log,
  // then a fresh connection on each VFS.
  EXPECT_EQ(text(db, "PRAGMA wal_checkpoint(TRUNCATE)"), "0");
  exec(db, "BEGIN;" + rows_of_round(1, 10, 7) + "COMMIT;");
  for (auto* c : open_) sqlite3_close(c);
  open_.clear();
  for (const char* vfs : {wal_vfs_name(), static_cast<const char*>(nullptr)}) {
    auto* again = open(vfs);
    EXPECT_EQ(text(again, kSummary), "250 7,5,6");
    EXPECT_EQ(text(again, "PRAGMA integrity_check"), "ok");
  }
}

TEST_F(WalVfsTest, ACommitIsReadableAtOnceEvenWithoutASync) {
  // synchronous=OFF: SQLite never syncs the WAL, so only the commit frame
  // itself can tell the VFS that a transaction is complete.
  auto* db = open(wal_vfs_name());
  exec(db, "PRAGMA synchronous=OFF;");
  exec(db, kCreateTable);
  auto* plain = open(nullptr);
  for (int round = 1; round <= 3; ++round) {
    exec(db, "BEGIN;" + rows_of_round(1, 5 * round, round) + "COMMIT;");
    EXPECT_EQ(text(plain, kSummary), std::to_string(5 * round) + " " + std::to_string(round));
  }
}

}  // namespace
}  // namespace agentmesh::store::sqlite
