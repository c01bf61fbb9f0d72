#include "api/admin/stream_key_store.h"

#include <openssl/rand.h>

#include <algorithm>
#include <chrono>

namespace tidecast::api::admin {

namespace {

// Schema migrations, in order; the file's user_version says how many have run.
constexpr const char* kMigrations[] = {
    "CREATE TABLE IF NOT EXISTS stream_keys ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT, app TEXT NOT NULL, label TEXT NOT NULL,"
    " key_hash TEXT NOT NULL UNIQUE, created_ms INTEGER NOT NULL, revoked_ms INTEGER);"};

int64_t nowUnixMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace

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
  auto db =
      core::SqliteDb::open(path, core::SqliteDb::Mode::kReadWrite, kMigrations, "admin.store");
  if (!db) return db.error();
  std::unique_ptr<StreamKeyStore> store(new StreamKeyStore(loop, std::move(*db)));
  if (auto status = store->load(); !status) return status.error();
  return store;
}

StreamKeyStore::~StreamKeyStore() = default;

core::Status StreamKeyStore::load() {
  core::SqliteStatement stmt(*db_,
                             "SELECT id, app, label, key_hash, created_ms FROM stream_keys "
                             "WHERE revoked_ms IS NULL;");
  if (!stmt.ok()) return db_->error("load");
  while (stmt.step() == SQLITE_ROW) {
    StreamKeyInfo info{stmt.integer(0), stmt.text(1), stmt.text(2), stmt.text(3), stmt.integer(4)};
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
  worker_.post(
      [db = db_, result, created]() mutable {  // pool thread
        core::SqliteStatement stmt(*db,
                                   "INSERT INTO stream_keys (app, label, key_hash, created_ms) "
                                   "VALUES (?, ?, ?, ?);");
        if (created.key.empty() || !stmt.ok()) {
          *result = db->error("insert");
          return;
        }
        stmt.bind(1, created.info.app);
        stmt.bind(2, created.info.label);
        stmt.bind(3, created.info.hash);
        stmt.bind(4, created.info.createdUnixMs);
        if (stmt.step() != SQLITE_DONE) {
          *result = db->error("insert");
          return;
        }
        created.info.id = sqlite3_last_insert_rowid(db->get());
        *result = std::move(created);
      },
      [this, result, done = std::move(done)] {
        if (*result) byHash_[(*result)->info.hash] = (*result)->info;
        done(std::move(*result));
      });
}

void StreamKeyStore::revoke(int64_t id, std::function<void(core::Result<bool>)> done) {
  auto result = std::make_shared<core::Result<bool>>(false);
  int64_t now = nowUnixMs();
  worker_.post(
      [db = db_, id, now, result] {
        core::SqliteStatement stmt(
            *db, "UPDATE stream_keys SET revoked_ms = ? WHERE id = ? AND revoked_ms IS NULL;");
        if (!stmt.ok()) {
          *result = db->error("revoke");
          return;
        }
        stmt.bind(1, now);
        stmt.bind(2, id);
        if (stmt.step() != SQLITE_DONE) {
          *result = db->error("revoke");
          return;
        }
        *result = sqlite3_changes(db->get()) > 0;
      },
      [this, id, result, done = std::move(done)] {
        if (*result && **result) {
          std::erase_if(byHash_, [id](const auto& entry) { return entry.second.id == id; });
        }
        done(std::move(*result));
      });
}

}  // namespace tidecast::api::admin
