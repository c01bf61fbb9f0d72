// Stream keys created through the admin API, kept in SQLite (`<data_dir>/tidecast.db`) so
// they survive a restart. Only a SHA-256 of each key is stored; the key itself is shown once,
// when it is created. Publish auth asks allows(app, key), answered from memory (no I/O on the
// loop); creating and revoking write through a SerialWorker and answer once the row is
// committed. Loop thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/loop.h"
#include "core/result.h"
#include "core/serial_worker.h"
#include "core/sha256.h"
#include "core/sqlite_db.h"

namespace tidecast::api::admin {

struct StreamKeyInfo {
  int64_t id = 0;
  std::string app;
  std::string label;
  std::string hash;  // hex SHA-256 of the key
  int64_t createdUnixMs = 0;
};

struct CreatedKey {
  StreamKeyInfo info;
  std::string key;  // the secret, returned to the caller once
};

class StreamKeyStore {
 public:
  // Opens (creating and migrating) the database and loads the active keys. Startup only: it
  // blocks. Error code admin.store.
  static core::Result<std::unique_ptr<StreamKeyStore>> open(core::Loop& loop,
                                                            const std::string& path);
  ~StreamKeyStore();
  StreamKeyStore(const StreamKeyStore&) = delete;
  StreamKeyStore& operator=(const StreamKeyStore&) = delete;

  // Whether `key` is an active key of `app`.
  bool allows(std::string_view app, std::string_view key) const;
  std::vector<StreamKeyInfo> list() const;  // newest first
  void create(std::string app, std::string label,
              std::function<void(core::Result<CreatedKey>)> done);
  // done(false) when there is no such active key.
  void revoke(int64_t id, std::function<void(core::Result<bool>)> done);

 private:
  StreamKeyStore(core::Loop& loop, std::shared_ptr<core::SqliteDb> db)
      : db_(std::move(db)), worker_(loop) {}
  core::Status load();

  // Shared with the job on the worker thread, so a store destroyed mid-job closes it after.
  std::shared_ptr<core::SqliteDb> db_;
  core::SerialWorker worker_;
  std::unordered_map<std::string, StreamKeyInfo> byHash_;
};

// Hex SHA-256: the hash stored for a key and compared for a token.
using core::sha256Hex;
// `bytes` random bytes (OpenSSL RAND_bytes) as base64url without padding.
std::string randomToken(size_t bytes);

}  // namespace tidecast::api::admin
