#include "api/admin/stream_key_store.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <chrono>

namespace tidecast::api::admin {

namespace {

constexpr int kSchemaVersion = 1;

core::Error storeError(sqlite3* db, std::string_view what) {
  return core::makeError("admin.store", std::string(what) + ": " + sqlite3_errmsg(db));
}

int64_t nowUnixMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// A prepared statement, finalized on scope exit.
class Statement {
 public:
  Statement(sqlite3* db, const char* sql) { sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr); }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  sqlite3_stmt* get() const { return stmt_; }
  bool ok() const { return stmt_ != nullptr; }
  void bind(int index, std::string_view text) {
    sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  }
  void bind(int index, int64_t value) { sqlite3_bind_int64(stmt_, index, value); }
  std::string text(int column) const {
    const auto* p = sqlite3_column_text(stmt_, column);
    return p ? std::string(reinterpret_cast<const char*>(p)) : std::string();
  }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

}  // namespace

std::string sha256Hex(std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 0xf];
  }
  return out;
}

std::string randomToken(size_t bytes) {
  std::vector<unsigned char> raw(bytes);
  if (RAND_bytes(raw.data(), static_cast<int>(raw.size())) != 1) return {};
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (unsigned char byte : raw) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 6) {
      out += kAlphabet[(buffer >> (bits - 6)) & 0x3f];
      bits -= 6;
    }
  }
  if (bits > 0) out += kAlphabet[(buffer << (6 - bits)) & 0x3f];
  return out;
}

core::Result<std::unique_ptr<StreamKeyStore>> StreamKeyStore::open(core::Loop& loop,
                                                                   const std::string& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                      nullptr) != SQLITE_OK) {
    core::Error error = storeError(db, "cannot open " + path);
    sqlite3_close(db);
    return error;
  }
  std::unique_ptr<StreamKeyStore> store(new StreamKeyStore(loop, db));
  if (auto status = store->load(); !status) return status.error();
  return store;
}

StreamKeyStore::~StreamKeyStore() { sqlite3_close(db_); }

core::Status StreamKeyStore::load() {
  // Migrations, versioned with user_version: each step runs once, in order.
  const char* migrations[kSchemaVersion] = {
      "CREATE TABLE IF NOT EXISTS stream_keys ("
      " id INTEGER PRIMARY KEY AUTOINCREMENT, app TEXT NOT NULL, label TEXT NOT NULL,"
      " key_hash TEXT NOT NULL UNIQUE, created_ms INTEGER NOT NULL, revoked_ms INTEGER);"};
  if (sqlite3_exec(db_, "PRAGMA journal_mode=WAL;", nullptr, nullptr, nullptr) != SQLITE_OK) {
    return storeError(db_, "journal mode");
  }
  int version = 0;
  {
    Statement stmt(db_, "PRAGMA user_version;");
    if (stmt.ok() && sqlite3_step(stmt.get()) == SQLITE_ROW) {
      version = sqlite3_column_int(stmt.get(), 0);
    }
  }
  for (int v = version; v < kSchemaVersion; ++v) {
    std::string sql = std::string("BEGIN;") + migrations[v] +
                      "PRAGMA user_version=" + std::to_string(v + 1) + ";COMMIT;";
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
      return storeError(db_, "migration " + std::to_string(v + 1));
    }
  }
  Statement stmt(db_,
                 "SELECT id, app, label, key_hash, created_ms FROM stream_keys "
                 "WHERE revoked_ms IS NULL;");
  if (!stmt.ok()) return storeError(db_, "load");
  while (sqlite3_step(stmt.get()) == SQLITE_ROW) {
    StreamKeyInfo info{sqlite3_column_int64(stmt.get(), 0), stmt.text(1), stmt.text(2),
                       stmt.text(3), sqlite3_column_int64(stmt.get(), 4)};
    byHash_[info.hash] = info;
  }
  return {};
}

bool StreamKeyStore::allows(std::string_view app, std::string_view key) const {
  auto it = byHash_.find(sha256Hex(key));
  return it != byHash_.end() && it->second.app == app;
}

std::vector<StreamKeyInfo> StreamKeyStore::list() const {
  std::vector<StreamKeyInfo> out;
  out.reserve(byHash_.size());
  for (const auto& [hash, info] : byHash_) out.push_back(info);
  std::sort(out.begin(), out.end(),
            [](const StreamKeyInfo& a, const StreamKeyInfo& b) { return a.id > b.id; });
  return out;
}

void StreamKeyStore::create(std::string app, std::string label,
                            std::function<void(core::Result<CreatedKey>)> done) {
  auto result = std::make_shared<core::Result<CreatedKey>>(core::makeError("admin.store", ""));
  CreatedKey created;
  created.key = randomToken(24);
  created.info =
      StreamKeyInfo{0, std::move(app), std::move(label), sha256Hex(created.key), nowUnixMs()};
  sqlite3* db = db_;
  worker_.post(
      [db, result, created]() mutable {  // pool thread
        Statement stmt(db,
                       "INSERT INTO stream_keys (app, label, key_hash, created_ms) "
                       "VALUES (?, ?, ?, ?);");
        if (created.key.empty() || !stmt.ok()) {
          *result = storeError(db, "insert");
          return;
        }
        stmt.bind(1, created.info.app);
        stmt.bind(2, created.info.label);
        stmt.bind(3, created.info.hash);
        stmt.bind(4, created.info.createdUnixMs);
        if (sqlite3_step(stmt.get()) != SQLITE_DONE) {
          *result = storeError(db, "insert");
          return;
        }
        created.info.id = sqlite3_last_insert_rowid(db);
        *result = std::move(created);
      },
      [this, result, done = std::move(done)] {
        if (*result) byHash_[(*result)->info.hash] = (*result)->info;
        done(std::move(*result));
      });
}

void StreamKeyStore::revoke(int64_t id, std::function<void(core::Result<bool>)> done) {
  auto result = std::make_shared<core::Result<bool>>(false);
  sqlite3* db = db_;
  int64_t now = nowUnixMs();
  worker_.post(
      [db, id, now, result] {
        Statement stmt(
            db, "UPDATE stream_keys SET revoked_ms = ? WHERE id = ? AND revoked_ms IS NULL;");
        if (!stmt.ok()) {
          *result = storeError(db, "revoke");
          return;
        }
        stmt.bind(1, now);
        stmt.bind(2, id);
        if (sqlite3_step(stmt.get()) != SQLITE_DONE) {
          *result = storeError(db, "revoke");
          return;
        }
        *result = sqlite3_changes(db) > 0;
      },
      [this, id, result, done = std::move(done)] {
        if (*result && **result) {
          std::erase_if(byHash_, [id](const auto& entry) { return entry.second.id == id; });
        }
        done(std::move(*result));
      });
}

}  // namespace tidecast::api::admin
