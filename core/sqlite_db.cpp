#include "core/sqlite_db.h"

namespace tidecast::core {

namespace {
constexpr int kBusyTimeoutMs = 5000;  // a reader waiting for a checkpoint, at most
}

Result<std::unique_ptr<SqliteDb>> SqliteDb::open(const std::string& path, Mode mode,
                                                 std::span<const char* const> migrations,
                                                 std::string errorCode) {
  sqlite3* raw = nullptr;
  int flags =
      SQLITE_OPEN_NOMUTEX |
      (mode == Mode::kReadOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  std::unique_ptr<SqliteDb> db(new SqliteDb(raw, std::move(errorCode)));
  if (rc != SQLITE_OK) return db->error("cannot open " + path);
  sqlite3_busy_timeout(raw, kBusyTimeoutMs);
  if (mode == Mode::kReadOnly) return db;
  if (auto status = db->exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"); !status) {
    return status.error();
  }
  if (auto status = db->migrate(migrations); !status) return status.error();
  return db;
}

SqliteDb::~SqliteDb() { sqlite3_close_v2(db_); }

Status SqliteDb::exec(const std::string& sql) {
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
    Error e = error("exec");
    sqlite3_exec(db_, "ROLLBACK;", nullptr, nullptr, nullptr);  // no-op outside a transaction
    return e;
  }
  return {};
}

Error SqliteDb::error(std::string_view what) const {
  return makeError(errorCode_,
                   std::string(what) + ": " + (db_ ? sqlite3_errmsg(db_) : "out of memory"));
}

Status SqliteDb::migrate(std::span<const char* const> migrations) {
  int version = 0;
  {
    SqliteStatement stmt(*this, "PRAGMA user_version;");
    if (stmt.ok() && stmt.step() == SQLITE_ROW) version = static_cast<int>(stmt.integer(0));
  }
  for (size_t v = static_cast<size_t>(version); v < migrations.size(); ++v) {
    std::string sql = std::string("BEGIN;") + migrations[v] +
                      ";PRAGMA user_version=" + std::to_string(v + 1) + ";COMMIT;";
    if (auto status = exec(sql); !status) {
      return makeError(errorCode_,
                       "migration " + std::to_string(v + 1) + ": " + status.error().message);
    }
  }
  return {};
}

SqliteStatement::SqliteStatement(const SqliteDb& db, const char* sql) {
  sqlite3_prepare_v3(db.get(), sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr);
}

SqliteStatement& SqliteStatement::bind(int index, std::string_view text) {
  sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  return *this;
}

SqliteStatement& SqliteStatement::bind(int index, int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}

void SqliteStatement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

std::string SqliteStatement::text(int column) const {
  const auto* p = sqlite3_column_text(stmt_, column);
  return p ? std::string(reinterpret_cast<const char*>(p),
                         static_cast<size_t>(sqlite3_column_bytes(stmt_, column)))
           : std::string();
}

}  // namespace tidecast::core
