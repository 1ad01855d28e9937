#include "store/sqlite/wal_vfs.hpp"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <sqlite3.h>

#include "store/sqlite/sqlite_store.hpp"

namespace agentmesh::store::sqlite {
namespace {

constexpr const char* kName = "agentmesh-wal";
// At most 30 frames of 4 KiB per write: the default VFS writes less than
// 128 KiB per call (os_unix.c's seekAndWrite keeps the low 17 bits of the
// length), so a larger write would come back short and fail as SQLITE_FULL.
constexpr int kBufferBytes = 30 * (4096 + 24);

sqlite3_vfs* g_base = nullptr;
sqlite3_vfs g_vfs{};
std::atomic<unsigned long long> g_writes{0};
std::atomic<unsigned long long> g_flushes{0};

// A WAL file: the default VFS's file object lives right after this header.
struct WalFile {
  sqlite3_file base;
  sqlite3_file* real;
  unsigned char* buf;  // kBufferBytes, allocated on the first write
  int len;             // bytes held
  sqlite3_int64 start;  // file offset of buf[0]
  bool commit_page;    // the next write is a commit frame's page
};

// A frame header is 24 bytes; its second big-endian word is nonzero only in a
// transaction's commit frame (the database's size in pages after it).
constexpr int kFrameHeaderBytes = 24;
bool is_commit_header(const void* data, int amount) {
  if (amount != kFrameHeaderBytes) return false;
  const auto* b = static_cast<const unsigned char*>(data);
  return (b[4] | b[5] | b[6] | b[7]) != 0;
}

const sqlite3_io_methods* real_methods(WalFile* f) { return f->real->pMethods; }

int flush(WalFile* f) {
  if (f->len == 0) return SQLITE_OK;
  const int n = f->len;
  f->len = 0;
  g_flushes.fetch_add(1, std::memory_order_relaxed);
  return real_methods(f)->xWrite(f->real, f->buf, n, f->start);
}

int wal_close(sqlite3_file* file) {
  auto* f = reinterpret_cast<WalFile*>(file);
  const int flushed = flush(f);
  const int closed = real_methods(f)->xClose(f->real);
  std::free(f->buf);
  f->buf = nullptr;
  return flushed != SQLITE_OK ? flushed : closed;
}

int wal_read(sqlite3_file* file, void* out, int amount, sqlite3_int64 offset) {
  auto* f = reinterpret_cast<WalFile*>(file);
  if (int rc = flush(f); rc != SQLITE_OK) return rc;
  return real_methods(f)->xRead(f->real, out, amount, offset);
}

int buffer_write(WalFile* f, const void* data, int amount, sqlite3_int64 offset) {
  const bool follows = f->len > 0 && offset == f->start + f->len;
  if (follows && f->len + amount <= kBufferBytes) {
    std::memcpy(f->buf + f->len, data, static_cast<std::size_t>(amount));
    f->len += amount;
    return SQLITE_OK;
  }
  if (int rc = flush(f); rc != SQLITE_OK) return rc;
  if (amount > kBufferBytes) return real_methods(f)->xWrite(f->real, data, amount, offset);
  if (f->buf == nullptr) {
    f->buf = static_cast<unsigned char*>(std::malloc(kBufferBytes));
    if (f->buf == nullptr) return real_methods(f)->xWrite(f->real, data, amount, offset);
  }
  std::memcpy(f->buf, data, static_cast<std::size_t>(amount));
  f->start = offset;
  f->len = amount;
  return SQLITE_OK;
}

// A commit is written out with its commit frame, before SQLite publishes it
// to other connections, whether or not a sync follows (synchronous=OFF or
// NORMAL do not sync every commit).
int wal_write(sqlite3_file* file, const void* data, int amount, sqlite3_int64 offset) {
  auto* f = reinterpret_cast<WalFile*>(file);
  g_writes.fetch_add(1, std::memory_order_relaxed);
  const bool commit_page = f->commit_page;
  f->commit_page = is_commit_header(data, amount);
  if (int rc = buffer_write(f, data, amount, offset); rc != SQLITE_OK) return rc;
  return commit_page ? flush(f) : SQLITE_OK;
}

int wal_truncate(sqlite3_file* file, sqlite3_int64 size) {
  auto* f = reinterpret_cast<WalFile*>(file);
  if (int rc = flush(f); rc != SQLITE_OK) return rc;
  return real_methods(f)->xTruncate(f->real, size);
}

int wal_sync(sqlite3_file* file, int flags) {
  auto* f = reinterpret_cast<WalFile*>(file);
  if (int rc = flush(f); rc != SQLITE_OK) return rc;
  return real_methods(f)->xSync(f->real, flags);
}

int wal_file_size(sqlite3_file* file, sqlite3_int64* size) {
  auto* f = reinterpret_cast<WalFile*>(file);
  if (int rc = flush(f); rc != SQLITE_OK) return rc;
  return real_methods(f)->xFileSize(f->real, size);
}

int wal_lock(sqlite3_file* file, int level) {
  auto* f = reinterpret_cast<WalFile*>(file);
  return real_methods(f)->xLock(f->real, level);
}

int wal_unlock(sqlite3_file* file, int level) {
  auto* f = reinterpret_cast<WalFile*>(file);
  return real_methods(f)->xUnlock(f->real, level);
}

int wal_check_reserved(sqlite3_file* file, int* out) {
  auto* f = reinterpret_cast<WalFile*>(file);
  return real_methods(f)->xCheckReservedLock(f->real, out);
}

int wal_file_control(sqlite3_file* file, int op, void* arg) {
  auto* f = reinterpret_cast<WalFile*>(file);
  if (int rc = flush(f); rc != SQLITE_OK) return rc;
  return real_methods(f)->xFileControl(f->real, op, arg);
}

int wal_sector_size(sqlite3_file* file) {
  auto* f = reinterpret_cast<WalFile*>(file);
  return real_methods(f)->xSectorSize(f->real);
}

int wal_device_characteristics(sqlite3_file* file) {
  auto* f = reinterpret_cast<WalFile*>(file);
  return real_methods(f)->xDeviceCharacteristics(f->real);
}

// Version 1 methods only: SQLite maps no shared memory and fetches no pages
// through a WAL file (those go through the main database file).
constexpr sqlite3_io_methods kWalMethods = {
    1,
    wal_close,
    wal_read,
    wal_write,
    wal_truncate,
    wal_sync,
    wal_file_size,
    wal_lock,
    wal_unlock,
    wal_check_reserved,
    wal_file_control,
    wal_sector_size,
    wal_device_characteristics,
    nullptr,  // xShmMap and the rest: not used on a WAL file
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    nullptr};

constexpr int header_bytes() { return (static_cast<int>(sizeof(WalFile)) + 7) & ~7; }

int vfs_open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* file, int flags, int* out_flags) {
  // Every other file is the default VFS's object in place, with its methods.
  if ((flags & SQLITE_OPEN_WAL) == 0) return g_base->xOpen(g_base, name, file, flags, out_flags);
  auto* f = reinterpret_cast<WalFile*>(file);
  f->real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<unsigned char*>(file) + header_bytes());
  f->buf = nullptr;
  f->len = 0;
  f->start = 0;
  f->commit_page = false;
  f->base.pMethods = nullptr;
  const int rc = g_base->xOpen(g_base, name, f->real, flags, out_flags);
  if (rc != SQLITE_OK) {
    // Our pMethods stays null, so SQLite will not close this file: close
    // whatever the default VFS left open.
    if (f->real->pMethods != nullptr) f->real->pMethods->xClose(f->real);
    return rc;
  }
  f->base.pMethods = &kWalMethods;
  return SQLITE_OK;
}

void register_vfs() {
  g_base = sqlite3_vfs_find(nullptr);
  if (g_base == nullptr) return;
  g_vfs = *g_base;  // the default's own functions for everything but xOpen
  g_vfs.zName = kName;
  g_vfs.pNext = nullptr;
  g_vfs.szOsFile = header_bytes() + g_base->szOsFile;
  g_vfs.xOpen = vfs_open;
  if (sqlite3_vfs_register(&g_vfs, 0) != SQLITE_OK) g_base = nullptr;
}

}  // namespace

const char* wal_vfs_name() {
  static std::once_flag once;
  std::call_once(once, register_vfs);
  return g_base != nullptr ? kName : nullptr;
}

}  // namespace agentmesh::store::sqlite

namespace agentmesh::store {

WalWriteFigures sqlite_wal_writes() {
  return {sqlite::g_writes.load(std::memory_order_relaxed), sqlite::g_flushes.load(std::memory_order_relaxed)};
}

}  // namespace agentmesh::store
