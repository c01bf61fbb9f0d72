// SQLite plumbing shared by every room that keeps state on disk (api/admin stream keys,
// social/store): a connection opened in WAL mode with its schema migrated (versioned with
// PRAGMA user_version, each step once, in order, in its own transaction), and a prepared
// statement that finalizes itself. Opening and every statement block: call them at start-up
// or on a worker thread (core::SerialWorker), never on the loop. A connection is used by one
// thread at a time.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "core/result.h"

namespace tidecast::core {

class SqliteDb {
 public:
  enum class Mode { kReadWrite, kReadOnly };
  // Opens `path` (created in kReadWrite mode), sets WAL and a busy timeout, and runs the
  // migrations past the file's user_version (kReadWrite only). Errors carry `errorCode`.
  static Result<std::unique_ptr<SqliteDb>> open(const std::string& path, Mode mode,
                                                std::span<const char* const> migrations,
                                                std::string errorCode);
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  sqlite3* get() const { return db_; }
  // Runs one or more statements without results.
  Status exec(const std::string& sql);
  // An error with this connection's code, `what` and SQLite's last message.
  Error error(std::string_view what) const;

 private:
  SqliteDb(sqlite3* db, std::string errorCode) : db_(db), errorCode_(std::move(errorCode)) {}
  Status migrate(std::span<const char* const> migrations);

  sqlite3* db_;
  std::string errorCode_;
};

// A prepared statement, finalized on destruction. step() returns SQLITE_ROW / SQLITE_DONE /
// an error code; reset() makes it ready for new bindings (statements kept for reuse).
class SqliteStatement {
 public:
  SqliteStatement(const SqliteDb& db, const char* sql);
  ~SqliteStatement() { sqlite3_finalize(stmt_); }
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;

  bool ok() const { return stmt_ != nullptr; }
  sqlite3_stmt* get() const { return stmt_; }
  SqliteStatement& bind(int index, std::string_view text);
  SqliteStatement& bind(int index, int64_t value);
  int step() { return sqlite3_step(stmt_); }
  void reset();
  std::string text(int column) const;
  int64_t integer(int column) const { return sqlite3_column_int64(stmt_, column); }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

}  // namespace tidecast::core
