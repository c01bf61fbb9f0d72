// The embedded follow graph: one SQLite file (WAL) under data_dir. Writes run one at a time
// on a writer SerialWorker (its own connection), reads on a reader SerialWorker (a second
// connection, which WAL lets read while the writer writes); `done` is posted back to the loop.
//
// Outbox: a follow change and the event it causes are committed in one transaction (table
// outbox). The dispatcher reads undelivered events in id order, hands them to the event sink
// on the loop and then marks them delivered; a crash between the two re-delivers the same
// event (same Event::id) after restart, never loses it. Within one process an event id is
// handed over once. Delivered rows are pruned after kOutboxRetentionMs.
#pragma once

#include <memory>
#include <span>
#include <string>

#include "core/loop.h"
#include "core/serial_worker.h"
#include "core/sqlite_db.h"
#include "social/store/graph_store.h"

namespace tidecast::social::store {

inline constexpr uint32_t kOutboxBatch = 256;                    // events per dispatch round
inline constexpr int64_t kOutboxRetentionMs = 24 * 3600 * 1000;  // delivered rows kept
inline constexpr int64_t kOutboxPruneBatch = 1000;               // rows deleted per round
inline constexpr int64_t kReaderCacheKiB = 128 * 1024;  // the reader connection's page cache

// Schema migrations (PRAGMA user_version counts the ones applied).
std::span<const char* const> sqliteGraphMigrations();
// The secondary indexes, by name and CREATE statement: a bulk loader drops them before
// loading and creates them after (bench/).
struct SqliteIndex {
  const char* name;
  const char* create;
};
std::span<const SqliteIndex> sqliteGraphIndexes();
// A page of followers / following (bindings: user, seq cursor, limit + 1). Each must be
// answered from its covering index alone (tests check the query plan).
inline constexpr const char* kSqlFollowersPage =
    "SELECT follower, created_ms, notify, seq FROM follows WHERE followee = ? AND seq < ? "
    "ORDER BY seq DESC LIMIT ?;";
inline constexpr const char* kSqlFollowingPage =
    "SELECT followee, created_ms, notify, seq FROM follows WHERE follower = ? AND seq < ? "
    "ORDER BY seq DESC LIMIT ?;";

class SqliteGraphStore final : public GraphStore {
 public:
  // Opens (creating and migrating) `path`. Start-up only: it blocks. Error code social.store.
  static core::Result<std::unique_ptr<SqliteGraphStore>> open(core::Loop& loop,
                                                              const std::string& path,
                                                              GraphLimits limits);
  ~SqliteGraphStore() override;

  std::string_view backend() const override { return "sqlite"; }
  void follow(std::string follower, std::string followee, bool notify, Done<bool> done) override;
  void unfollow(std::string follower, std::string followee, Done<bool> done) override;
  void block(std::string blocker, std::string blocked, Done<bool> done) override;
  void unblock(std::string blocker, std::string blocked, Done<bool> done) override;
  void edge(std::string follower, std::string followee, Done<std::optional<Edge>> done) override;
  void followers(std::string user, std::string cursor, uint32_t limit, Done<Page> done) override;
  void following(std::string user, std::string cursor, uint32_t limit, Done<Page> done) override;
  void counts(std::string user, Done<Counts> done) override;
  void mutual(std::string user, uint32_t limit, Done<std::vector<std::string>> done) override;
  void blocked(std::string blocker, std::string other, Done<bool> done) override;
  void recommendations(std::string user, uint32_t limit,
                       Done<std::vector<Recommendation>> done) override;
  void setEventSink(std::function<void(const core::Event&)> sink) override;

  // Outbox events this store handed to the sink since it opened (the counter
  // tidecast_social_outbox_delivered_total; loop thread). Counted at the hand-over, before the
  // writer marks them delivered: an event delivered again after a crash counts again.
  uint64_t deliveredEvents() const { return delivered_; }

  struct Writer;  // the writer connection and its statements (writer thread)
  struct Reader;  // the reader connection and its statements (reader thread)

 private:
  SqliteGraphStore(core::Loop& loop, GraphLimits limits, std::shared_ptr<Writer> writer,
                   std::shared_ptr<Reader> reader);
  // Runs `work` on the writer thread; `done` gets its result on the loop, then the
  // dispatcher looks for new events.
  template <class T, class Work>
  void write(Work work, Done<T> done);
  template <class T, class Work>
  void read(Work work, Done<T> done);
  void dispatch();

  GraphLimits limits_;
  std::shared_ptr<Writer> writer_;
  std::shared_ptr<Reader> reader_;
  core::SerialWorker writeWorker_;
  core::SerialWorker readWorker_;
  std::function<void(const core::Event&)> sink_;
  bool dispatching_ = false;
  bool dispatchAgain_ = false;
  uint64_t lastPublished_ = 0;  // highest event id handed to the sink by this process
  uint64_t delivered_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace tidecast::social::store
