// The SQLite graph schema: pages are answered from covering indexes, and a file made by an
// older schema version is migrated in place with its edges intact.
#include <gtest/gtest.h>

#include <filesystem>
#include <optional>
#include <string>

#include <unistd.h>

#include "core/loop.h"
#include "core/sqlite_db.h"
#include "social/store/sqlite_graph_store.h"

namespace tidecast::social::store {
namespace {

class SqliteGraphSchemaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("tidecast-graph-schema-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "social.db").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // The plan SQLite picks for `sql`, every row's detail joined by "; ".
  static std::string plan(core::SqliteDb& db, const std::string& sql) {
    core::SqliteStatement explain(db, ("EXPLAIN QUERY PLAN " + sql).c_str());
    EXPECT_TRUE(explain.ok()) << sql;
    std::string out;
    while (explain.step() == SQLITE_ROW) out += explain.text(3) + "; ";
    return out;
  }

  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(SqliteGraphSchemaTest, PagesReadOnlyTheirCoveringIndex) {
  auto db = core::SqliteDb::open(path_, core::SqliteDb::Mode::kReadWrite, sqliteGraphMigrations(),
                                 "test");
  ASSERT_TRUE(db) << db.error().message;
  // A table lookup per row would show as "USING INDEX" (not covering).
  EXPECT_NE(plan(**db, kSqlFollowersPage).find("USING COVERING INDEX follows_by_followee"),
            std::string::npos)
      << plan(**db, kSqlFollowersPage);
  EXPECT_NE(plan(**db, kSqlFollowingPage).find("USING COVERING INDEX follows_by_follower"),
            std::string::npos)
      << plan(**db, kSqlFollowingPage);
}

TEST_F(SqliteGraphSchemaTest, AVersionOneFileIsMigratedWithItsEdges) {
  {
    // The file as schema version 1 left it, with three follows of "star".
    auto v1 = core::SqliteDb::open(path_, core::SqliteDb::Mode::kReadWrite,
                                   sqliteGraphMigrations().first(1), "test");
    ASSERT_TRUE(v1) << v1.error().message;
    ASSERT_TRUE(
        (*v1)->exec("INSERT INTO follows (follower, followee, created_ms, notify) VALUES "
                    "('a', 'star', 1, 1), ('b', 'star', 2, 0), ('c', 'star', 3, 1);"
                    "INSERT INTO user_counts VALUES ('star', 3, 0), ('a', 0, 1),"
                    " ('b', 0, 1), ('c', 0, 1);"));
  }
  core::Loop loop;
  {
    auto store = SqliteGraphStore::open(loop, path_, GraphLimits{});
    ASSERT_TRUE(store) << store.error().message;
    std::optional<core::Result<Page>> page;
    (*store)->followers("star", "", 2, [&](core::Result<Page> r) { page = std::move(r); });
    while (!page) uv_run(loop.raw(), UV_RUN_ONCE);
    ASSERT_TRUE(*page) << (*page).error().message;
    const Page& p = **page;
    ASSERT_EQ(p.items.size(), 2u);
    EXPECT_EQ(p.items[0].user, "c");
    EXPECT_EQ(p.items[1].user, "b");
    EXPECT_FALSE(p.items[1].notify);
    EXPECT_FALSE(p.nextCursor.empty());
  }
  auto db = core::SqliteDb::open(path_, core::SqliteDb::Mode::kReadWrite, sqliteGraphMigrations(),
                                 "test");
  ASSERT_TRUE(db) << db.error().message;
  core::SqliteStatement version(**db, "PRAGMA user_version;");
  ASSERT_EQ(version.step(), SQLITE_ROW);
  EXPECT_EQ(version.integer(0), static_cast<int64_t>(sqliteGraphMigrations().size()));
  EXPECT_NE(plan(**db, kSqlFollowersPage).find("COVERING INDEX"), std::string::npos);
}

}  // namespace
}  // namespace tidecast::social::store
