#include "social/store/sqlite_graph_store.h"

#include <charconv>
#include <chrono>
#include <limits>

namespace tidecast::social::store {

namespace {

constexpr const char* kMigrations[] = {
    // 1: edges (seq orders pages newest first and is the cursor), per-user counts kept in the
    // same transactions, blocks, and the outbox.
    "CREATE TABLE follows (seq INTEGER PRIMARY KEY, follower TEXT NOT NULL,"
    " followee TEXT NOT NULL, created_ms INTEGER NOT NULL, notify INTEGER NOT NULL DEFAULT 1);"
    "CREATE UNIQUE INDEX follows_pair ON follows (follower, followee);"
    "CREATE INDEX follows_by_followee ON follows (followee, seq);"
    "CREATE INDEX follows_by_follower ON follows (follower, seq);"
    "CREATE TABLE user_counts (user TEXT PRIMARY KEY, followers INTEGER NOT NULL DEFAULT 0,"
    " following INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"
    "CREATE TABLE blocks (blocker TEXT NOT NULL, blocked TEXT NOT NULL, created_ms INTEGER"
    " NOT NULL, PRIMARY KEY (blocker, blocked)) WITHOUT ROWID;"
    "CREATE INDEX blocks_by_blocked ON blocks (blocked, blocker);"
    "CREATE TABLE outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, type TEXT NOT NULL,"
    " payload TEXT NOT NULL, created_ms INTEGER NOT NULL, delivered_ms INTEGER);"
    "CREATE INDEX outbox_pending ON outbox (id) WHERE delivered_ms IS NULL;",
    // 2: the page indexes cover every column a page reads, so a page of followers or
    // following is one range scan over adjacent index leaves instead of a table lookup per
    // row (20 random reads in a large file: the followers-page p99).
    "DROP INDEX follows_by_followee;"
    "CREATE INDEX follows_by_followee ON follows (followee, seq, follower, created_ms, notify);"
    "DROP INDEX follows_by_follower;"
    "CREATE INDEX follows_by_follower ON follows (follower, seq, followee, created_ms, notify);"};

// The secondary indexes as the newest migration leaves them (a bulk load builds them last).
constexpr SqliteIndex kIndexes[] = {
    {"follows_pair", "CREATE UNIQUE INDEX follows_pair ON follows (follower, followee);"},
    {"follows_by_followee",
     "CREATE INDEX follows_by_followee ON follows (followee, seq, follower, created_ms, "
     "notify);"},
    {"follows_by_follower",
     "CREATE INDEX follows_by_follower ON follows (follower, seq, followee, created_ms, "
     "notify);"},
};

int64_t nowUnixMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

core::Error storeError(const core::SqliteDb& db, std::string_view what) { return db.error(what); }

// A cursor is the seq of the last item shown; "" starts from the newest.
core::Result<int64_t> parseCursor(const std::string& cursor) {
  if (cursor.empty()) return std::numeric_limits<int64_t>::max();
  int64_t value = 0;
  auto [end, ec] = std::from_chars(cursor.data(), cursor.data() + cursor.size(), value);
  if (ec != std::errc{} || end != cursor.data() + cursor.size() || value <= 0) {
    return core::makeError("social.bad_cursor", "cursor is not one this API returned");
  }
  return value;
}

using Stmt = core::SqliteStatement;

// Resets a statement when the read is over: a statement left mid-result keeps its read
// transaction, and with it an old snapshot, open.
class ResetGuard {
 public:
  explicit ResetGuard(Stmt& stmt) : stmt_(stmt) { stmt_.reset(); }
  ~ResetGuard() { stmt_.reset(); }
  ResetGuard(const ResetGuard&) = delete;
  ResetGuard& operator=(const ResetGuard&) = delete;

 private:
  Stmt& stmt_;
};

}  // namespace

std::span<const char* const> sqliteGraphMigrations() { return kMigrations; }
std::span<const SqliteIndex> sqliteGraphIndexes() { return kIndexes; }

// ---- reads (reader thread) ---------------------------------------------------------------

struct SqliteGraphStore::Reader {
  explicit Reader(std::unique_ptr<core::SqliteDb> connection)
      : db(std::move(connection)),
        edge(*db, "SELECT created_ms, notify FROM follows WHERE follower = ? AND followee = ?;"),
        followers(*db, kSqlFollowersPage),
        following(*db, kSqlFollowingPage),
        counts(*db, "SELECT followers, following FROM user_counts WHERE user = ?;"),
        mutual(*db,
               "SELECT f.followee FROM follows f WHERE f.follower = ?1 AND EXISTS (SELECT 1 "
               "FROM follows g WHERE g.follower = f.followee AND g.followee = ?1) ORDER BY "
               "f.seq DESC LIMIT ?2;"),
        blocked(*db, "SELECT 1 FROM blocks WHERE blocker = ? AND blocked = ?;"),
        newestFollowing(*db,
                        "SELECT followee FROM follows WHERE follower = ? ORDER BY seq DESC "
                        "LIMIT ?;"),
        blockedEitherWay(*db,
                         "SELECT blocked FROM blocks WHERE blocker = ?1 UNION SELECT blocker "
                         "FROM blocks WHERE blocked = ?1;") {}

  bool ok() const {
    for (const Stmt* s : {&edge, &followers, &following, &counts, &mutual, &blocked,
                          &newestFollowing, &blockedEitherWay}) {
      if (!s->ok()) return false;
    }
    return true;
  }

  core::Result<Page> page(Stmt& stmt, const std::string& user, const std::string& cursor,
                          uint32_t limit) {
    auto before = parseCursor(cursor);
    if (!before) return before.error();
    ResetGuard scope(stmt);
    stmt.bind(1, user).bind(2, *before).bind(3, static_cast<int64_t>(limit) + 1);
    Page page;
    int64_t lastSeq = 0;
    int rc;
    while ((rc = stmt.step()) == SQLITE_ROW) {
      if (page.items.size() == limit) {
        page.nextCursor = std::to_string(lastSeq);
        break;
      }
      page.items.push_back({stmt.text(0), stmt.integer(1), stmt.integer(2) != 0});
      lastSeq = stmt.integer(3);
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return storeError(*db, "page");
    return page;
  }

  // Reads the first column of every row; `stmt` is bound already and reset afterwards.
  core::Result<std::vector<std::string>> column(Stmt& stmt) {
    struct ResetAfter {
      Stmt& s;
      ~ResetAfter() { s.reset(); }
    } scope{stmt};
    std::vector<std::string> out;
    int rc;
    while ((rc = stmt.step()) == SQLITE_ROW) out.push_back(stmt.text(0));
    if (rc != SQLITE_DONE) return storeError(*db, "read");
    return out;
  }

  core::Result<std::vector<Recommendation>> recommend(const std::string& user, uint32_t limit,
                                                      const GraphLimits& limits) {
    newestFollowing.reset();
    newestFollowing.bind(1, user).bind(2, static_cast<int64_t>(limits.maxFollowing));
    auto followed = column(newestFollowing);
    if (!followed) return followed.error();
    std::vector<std::vector<std::string>> lists;
    size_t sources = std::min<size_t>(followed->size(), limits.recommendationSources);
    for (size_t i = 0; i < sources; ++i) {
      newestFollowing.reset();
      newestFollowing.bind(1, (*followed)[i])
          .bind(2, static_cast<int64_t>(limits.recommendationPerSource));
      auto list = column(newestFollowing);
      if (!list) return list.error();
      lists.push_back(std::move(*list));
    }
    blockedEitherWay.reset();
    blockedEitherWay.bind(1, user);
    auto blocks = column(blockedEitherWay);
    if (!blocks) return blocks.error();
    std::vector<std::string> exclude = std::move(*followed);
    exclude.insert(exclude.end(), blocks->begin(), blocks->end());
    std::sort(exclude.begin(), exclude.end());
    return rankRecommendations(user, lists, exclude, limit);
  }

  std::unique_ptr<core::SqliteDb> db;
  Stmt edge, followers, following, counts, mutual, blocked, newestFollowing, blockedEitherWay;
};

// ---- writes (writer thread) --------------------------------------------------------------

struct SqliteGraphStore::Writer {
  explicit Writer(std::unique_ptr<core::SqliteDb> connection)
      : db(std::move(connection)),
        begin(*db, "BEGIN IMMEDIATE;"),
        commit(*db, "COMMIT;"),
        rollback(*db, "ROLLBACK;"),
        blockedEitherWay(*db,
                         "SELECT 1 FROM blocks WHERE (blocker = ?1 AND blocked = ?2) OR "
                         "(blocker = ?2 AND blocked = ?1);"),
        edgeNotify(*db, "SELECT notify FROM follows WHERE follower = ? AND followee = ?;"),
        setNotify(*db, "UPDATE follows SET notify = ? WHERE follower = ? AND followee = ?;"),
        followingCount(*db, "SELECT following FROM user_counts WHERE user = ?;"),
        insertEdge(*db,
                   "INSERT INTO follows (follower, followee, created_ms, notify) "
                   "VALUES (?, ?, ?, ?);"),
        deleteEdge(*db,
                   "DELETE FROM follows WHERE follower = ? AND followee = ? RETURNING notify;"),
        addCounts(*db,
                  "INSERT INTO user_counts (user, followers, following) VALUES (?1, ?2, ?3) "
                  "ON CONFLICT (user) DO UPDATE SET followers = followers + ?2, "
                  "following = following + ?3;"),
        insertEvent(*db, "INSERT INTO outbox (type, payload, created_ms) VALUES (?, ?, ?);"),
        insertBlock(*db,
                    "INSERT OR IGNORE INTO blocks (blocker, blocked, created_ms) "
                    "VALUES (?, ?, ?);"),
        deleteBlock(*db, "DELETE FROM blocks WHERE blocker = ? AND blocked = ?;"),
        pending(*db,
                "SELECT id, type, payload FROM outbox WHERE delivered_ms IS NULL AND id > ? "
                "ORDER BY id LIMIT ?;"),
        markDelivered(*db, "UPDATE outbox SET delivered_ms = ? WHERE id = ?;"),
        prune(*db,
              "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE delivered_ms < ? "
              "LIMIT ?);") {}

  bool ok() const {
    for (const Stmt* s : {&begin, &commit, &rollback, &blockedEitherWay, &edgeNotify, &setNotify,
                          &followingCount, &insertEdge, &deleteEdge, &addCounts, &insertEvent,
                          &insertBlock, &deleteBlock, &pending, &markDelivered, &prune}) {
      if (!s->ok()) return false;
    }
    return true;
  }

  // Runs `body` in one transaction: committed when it returns a value, rolled back on error.
  template <class T, class Body>
  core::Result<T> transaction(Body body) {
    if (!stepDone(begin)) return storeError(*db, "begin");
    core::Result<T> result = body();
    if (result && stepDone(commit)) return result;
    core::Result<T> failed = result ? core::Result<T>(storeError(*db, "commit")) : result;
    stepDone(rollback);
    return failed;
  }

  bool stepDone(Stmt& stmt) {
    int rc = stmt.step();
    stmt.reset();
    return rc == SQLITE_DONE;
  }

  core::Result<bool> exists(Stmt& stmt) {
    int rc = stmt.step();
    stmt.reset();
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return storeError(*db, "read");
    return rc == SQLITE_ROW;
  }

  bool adjust(const std::string& user, int64_t followers, int64_t following) {
    addCounts.bind(1, user).bind(2, followers).bind(3, following);
    return stepDone(addCounts);
  }

  bool event(std::string_view type, const std::string& payload, int64_t now) {
    insertEvent.bind(1, type).bind(2, payload).bind(3, now);
    return stepDone(insertEvent);
  }

  core::Result<bool> follow(const std::string& a, const std::string& b, bool notify,
                            uint32_t maxFollowing) {
    return transaction<bool>([&]() -> core::Result<bool> {
      blockedEitherWay.bind(1, a).bind(2, b);
      auto isBlocked = exists(blockedEitherWay);
      if (!isBlocked) return isBlocked.error();
      if (*isBlocked) return core::makeError("social.blocked", "one of the two blocks the other");
      edgeNotify.bind(1, a).bind(2, b);
      int rc = edgeNotify.step();
      if (rc == SQLITE_ROW) {
        bool current = edgeNotify.integer(0) != 0;
        edgeNotify.reset();
        if (current == notify) return false;
        setNotify.bind(1, int64_t{notify}).bind(2, a).bind(3, b);
        if (!stepDone(setNotify)) return storeError(*db, "notify");
        return false;
      }
      edgeNotify.reset();
      if (rc != SQLITE_DONE) return storeError(*db, "follow");
      followingCount.bind(1, a);
      int64_t count = followingCount.step() == SQLITE_ROW ? followingCount.integer(0) : 0;
      followingCount.reset();
      if (count >= maxFollowing) {
        return core::makeError("social.too_many_following",
                               "following " + std::to_string(maxFollowing) + " users already");
      }
      int64_t now = nowUnixMs();
      insertEdge.bind(1, a).bind(2, b).bind(3, now).bind(4, int64_t{notify});
      if (!stepDone(insertEdge) || !adjust(a, 0, 1) || !adjust(b, 1, 0) ||
          !event(kFollowedEvent, followEventPayload(a, b, notify), now)) {
        return storeError(*db, "follow");
      }
      return true;
    });
  }

  // Inside a transaction: removes a -> b when present, with its count and event.
  core::Result<bool> removeEdge(const std::string& a, const std::string& b) {
    deleteEdge.bind(1, a).bind(2, b);
    int rc = deleteEdge.step();
    bool notify = rc == SQLITE_ROW && deleteEdge.integer(0) != 0;
    bool removed = rc == SQLITE_ROW;
    if (removed) rc = deleteEdge.step();
    deleteEdge.reset();
    if (rc != SQLITE_DONE) return storeError(*db, "unfollow");
    if (!removed) return false;
    if (!adjust(a, 0, -1) || !adjust(b, -1, 0) ||
        !event(kUnfollowedEvent, followEventPayload(a, b, notify), nowUnixMs())) {
      return storeError(*db, "unfollow");
    }
    return true;
  }

  core::Result<bool> unfollow(const std::string& a, const std::string& b) {
    return transaction<bool>([&] { return removeEdge(a, b); });
  }

  core::Result<bool> block(const std::string& a, const std::string& b) {
    return transaction<bool>([&]() -> core::Result<bool> {
      insertBlock.bind(1, a).bind(2, b).bind(3, nowUnixMs());
      if (!stepDone(insertBlock)) return storeError(*db, "block");
      bool added = sqlite3_changes(db->get()) > 0;
      auto ab = removeEdge(a, b);
      if (!ab) return ab.error();
      auto ba = removeEdge(b, a);
      if (!ba) return ba.error();
      return added || *ab || *ba;
    });
  }

  core::Result<bool> unblock(const std::string& a, const std::string& b) {
    deleteBlock.bind(1, a).bind(2, b);
    if (!stepDone(deleteBlock)) return storeError(*db, "unblock");
    return sqlite3_changes(db->get()) > 0;
  }

  core::Result<std::vector<core::Event>> pendingEvents(uint64_t after, uint32_t limit) {
    pending.bind(1, static_cast<int64_t>(after)).bind(2, static_cast<int64_t>(limit));
    std::vector<core::Event> events;
    int rc;
    while ((rc = pending.step()) == SQLITE_ROW) {
      core::Event event;
      event.id = static_cast<uint64_t>(pending.integer(0));
      event.type = pending.text(1);
      event.payload = pending.text(2);
      events.push_back(std::move(event));
    }
    pending.reset();
    if (rc != SQLITE_DONE) return storeError(*db, "outbox");
    return events;
  }

  core::Result<bool> markAndPrune(const std::vector<uint64_t>& ids) {
    int64_t now = nowUnixMs();
    return transaction<bool>([&]() -> core::Result<bool> {
      for (uint64_t id : ids) {
        markDelivered.bind(1, now).bind(2, static_cast<int64_t>(id));
        if (!stepDone(markDelivered)) return storeError(*db, "outbox mark");
      }
      prune.bind(1, now - kOutboxRetentionMs).bind(2, kOutboxPruneBatch);
      if (!stepDone(prune)) return storeError(*db, "outbox prune");
      return true;
    });
  }

  std::unique_ptr<core::SqliteDb> db;
  Stmt begin, commit, rollback, blockedEitherWay, edgeNotify, setNotify, followingCount, insertEdge,
      deleteEdge, addCounts, insertEvent, insertBlock, deleteBlock, pending, markDelivered, prune;
};

// ---- the store (loop thread) -------------------------------------------------------------

core::Result<std::unique_ptr<SqliteGraphStore>> SqliteGraphStore::open(core::Loop& loop,
                                                                       const std::string& path,
                                                                       GraphLimits limits) {
  auto writeDb =
      core::SqliteDb::open(path, core::SqliteDb::Mode::kReadWrite, kMigrations, "social.store");
  if (!writeDb) return writeDb.error();
  auto readDb = core::SqliteDb::open(path, core::SqliteDb::Mode::kReadOnly, {}, "social.store");
  if (!readDb) return readDb.error();
  auto writer = std::make_shared<Writer>(std::move(*writeDb));
  if (!writer->ok()) return storeError(*writer->db, "prepare");
  // The reader's page cache: the hot part of the indexes stays in the process (bounded).
  if (auto status = (*readDb)->exec("PRAGMA cache_size=-" + std::to_string(kReaderCacheKiB) + ";");
      !status) {
    return status.error();
  }
  auto reader = std::make_shared<Reader>(std::move(*readDb));
  if (!reader->ok()) return storeError(*reader->db, "prepare");
  return std::unique_ptr<SqliteGraphStore>(
      new SqliteGraphStore(loop, limits, std::move(writer), std::move(reader)));
}

SqliteGraphStore::SqliteGraphStore(core::Loop& loop, GraphLimits limits,
                                   std::shared_ptr<Writer> writer, std::shared_ptr<Reader> reader)
    : limits_(limits),
      writer_(std::move(writer)),
      reader_(std::move(reader)),
      writeWorker_(loop),
      readWorker_(loop) {}

SqliteGraphStore::~SqliteGraphStore() { *alive_ = false; }

template <class T, class Work>
void SqliteGraphStore::write(Work work, Done<T> done) {
  auto result = std::make_shared<std::optional<core::Result<T>>>();
  writeWorker_.post([writer = writer_, work = std::move(work),
                     result]() mutable { result->emplace(work(*writer)); },
                    [this, alive = alive_, result, done = std::move(done)] {
                      done(std::move(**result));
                      if (*alive) dispatch();
                    });
}

template <class T, class Work>
void SqliteGraphStore::read(Work work, Done<T> done) {
  auto result = std::make_shared<std::optional<core::Result<T>>>();
  readWorker_.post([reader = reader_, work = std::move(work),
                    result]() mutable { result->emplace(work(*reader)); },
                   [result, done = std::move(done)] { done(std::move(**result)); });
}

void SqliteGraphStore::follow(std::string follower, std::string followee, bool notify,
                              Done<bool> done) {
  write<bool>([a = std::move(follower), b = std::move(followee), notify,
               max = limits_.maxFollowing](Writer& w) { return w.follow(a, b, notify, max); },
              std::move(done));
}

void SqliteGraphStore::unfollow(std::string follower, std::string followee, Done<bool> done) {
  write<bool>(
      [a = std::move(follower), b = std::move(followee)](Writer& w) { return w.unfollow(a, b); },
      std::move(done));
}

void SqliteGraphStore::block(std::string blocker, std::string blocked, Done<bool> done) {
  write<bool>([a = std::move(blocker), b = std::move(blocked)](Writer& w) { return w.block(a, b); },
              std::move(done));
}

void SqliteGraphStore::unblock(std::string blocker, std::string blocked, Done<bool> done) {
  write<bool>(
      [a = std::move(blocker), b = std::move(blocked)](Writer& w) { return w.unblock(a, b); },
      std::move(done));
}

void SqliteGraphStore::edge(std::string follower, std::string followee,
                            Done<std::optional<Edge>> done) {
  read<std::optional<Edge>>(
      [a = std::move(follower),
       b = std::move(followee)](Reader& r) -> core::Result<std::optional<Edge>> {
        ResetGuard scope(r.edge);
        r.edge.bind(1, a).bind(2, b);
        int rc = r.edge.step();
        if (rc == SQLITE_DONE) return std::optional<Edge>();
        if (rc != SQLITE_ROW) return storeError(*r.db, "edge");
        return std::optional<Edge>(Edge{b, r.edge.integer(0), r.edge.integer(1) != 0});
      },
      std::move(done));
}

void SqliteGraphStore::followers(std::string user, std::string cursor, uint32_t limit,
                                 Done<Page> done) {
  read<Page>([user = std::move(user), cursor = std::move(cursor),
              limit](Reader& r) { return r.page(r.followers, user, cursor, limit); },
             std::move(done));
}

void SqliteGraphStore::following(std::string user, std::string cursor, uint32_t limit,
                                 Done<Page> done) {
  read<Page>([user = std::move(user), cursor = std::move(cursor),
              limit](Reader& r) { return r.page(r.following, user, cursor, limit); },
             std::move(done));
}

void SqliteGraphStore::counts(std::string user, Done<Counts> done) {
  read<Counts>(
      [user = std::move(user)](Reader& r) -> core::Result<Counts> {
        ResetGuard scope(r.counts);
        r.counts.bind(1, user);
        int rc = r.counts.step();
        if (rc == SQLITE_DONE) return Counts{};
        if (rc != SQLITE_ROW) return storeError(*r.db, "counts");
        return Counts{static_cast<uint64_t>(r.counts.integer(0)),
                      static_cast<uint64_t>(r.counts.integer(1))};
      },
      std::move(done));
}

void SqliteGraphStore::mutual(std::string user, uint32_t limit,
                              Done<std::vector<std::string>> done) {
  read<std::vector<std::string>>(
      [user = std::move(user), limit](Reader& r) {
        r.mutual.reset();
        r.mutual.bind(1, user).bind(2, static_cast<int64_t>(limit));
        return r.column(r.mutual);
      },
      std::move(done));
}

void SqliteGraphStore::blocked(std::string blocker, std::string other, Done<bool> done) {
  read<bool>(
      [a = std::move(blocker), b = std::move(other)](Reader& r) -> core::Result<bool> {
        ResetGuard scope(r.blocked);
        r.blocked.bind(1, a).bind(2, b);
        int rc = r.blocked.step();
        if (rc != SQLITE_ROW && rc != SQLITE_DONE) return storeError(*r.db, "blocked");
        return rc == SQLITE_ROW;
      },
      std::move(done));
}

void SqliteGraphStore::recommendations(std::string user, uint32_t limit,
                                       Done<std::vector<Recommendation>> done) {
  read<std::vector<Recommendation>>([user = std::move(user), limit, limits = limits_](
                                        Reader& r) { return r.recommend(user, limit, limits); },
                                    std::move(done));
}

void SqliteGraphStore::setEventSink(std::function<void(const core::Event&)> sink) {
  sink_ = std::move(sink);
  dispatch();
}

void SqliteGraphStore::dispatch() {
  if (!sink_) return;
  if (dispatching_) {
    dispatchAgain_ = true;
    return;
  }
  dispatching_ = true;
  dispatchAgain_ = false;
  auto events = std::make_shared<std::optional<core::Result<std::vector<core::Event>>>>();
  writeWorker_.post([writer = writer_, after = lastPublished_,
                     events] { events->emplace(writer->pendingEvents(after, kOutboxBatch)); },
                    [this, alive = alive_, events] {
                      core::Result<std::vector<core::Event>>& fetched = **events;
                      if (!fetched || fetched->empty()) {
                        dispatching_ = false;
                        if (dispatchAgain_) dispatch();
                        return;
                      }
                      std::vector<uint64_t> ids;
                      for (const core::Event& event : *fetched) {
                        sink_(event);
                        if (!*alive) return;  // the sink destroyed the store: nothing is marked
                        lastPublished_ = event.id;
                        ++delivered_;
                        ids.push_back(event.id);
                      }
                      bool full = fetched->size() == kOutboxBatch;
                      writeWorker_.post([writer = writer_,
                                         ids = std::move(ids)] { (void)writer->markAndPrune(ids); },
                                        [this, full] {
                                          dispatching_ = false;
                                          if (full || dispatchAgain_) dispatch();
                                        });
                    });
}

}  // namespace tidecast::social::store
