#include "tests/server/config_test_util.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace tidecast::core {
namespace {

// The error parseConfig gives for `yaml`, read as conf/x.yaml; fails the test if it parses.
Error parseError(const std::string& yaml) {
  Result<Config> result = parseConfig(yaml, "conf/x.yaml");
  EXPECT_FALSE(result.ok()) << "parsed, expected an error:\n" << yaml;
  return result.ok() ? Error{} : result.error();
}

void expectDefaults(const Config& c) {
  EXPECT_EQ(c.get<core::DataDirConfig>().path, "data");
  EXPECT_TRUE(c.get<social::store::RedisConfig>() == RedisConfig{});
  EXPECT_TRUE(c.get<social::SocialConfig>() == SocialConfig{});
  EXPECT_EQ(c.get<ingest::srt::SrtConfig>(), SrtConfig{});
  EXPECT_EQ(c.get<ingest::srt::SrtConfig>().port, 9000);
  EXPECT_EQ(c.get<core::LogConfig>().level, "info");
  EXPECT_EQ(c.get<core::LogConfig>().format, LogFormat::kText);
  EXPECT_EQ(c.get<api::HttpConfig>().listen, "0.0.0.0");
  EXPECT_EQ(c.get<api::HttpConfig>().port, 8080);
  EXPECT_EQ(c.get<api::HttpConfig>().corsAllowOrigin, "*");
  EXPECT_EQ(c.get<api::HttpConfig>().limits.maxHeaderBytes, 16u * 1024);
  EXPECT_EQ(c.get<api::HttpConfig>().limits.maxBodyBytes, 1024u * 1024);
  EXPECT_EQ(c.get<api::HttpConfig>().limits.headerTimeoutMs, 10000u);
  EXPECT_EQ(c.get<api::HttpConfig>().limits.idleTimeoutMs, 60000u);
  EXPECT_EQ(c.get<api::HttpConfig>().limits.maxConnections, 10000u);
  EXPECT_EQ(c.get<api::HttpConfig>().limits.maxConnectionsPerIp, 1000u);
  EXPECT_EQ(c.get<api::HttpConfig>().limits.maxPipelined, 16u);
  EXPECT_EQ(c.get<api::HttpConfig>().limits.maxResponseBacklogBytes, 8u * 1024 * 1024);
  EXPECT_EQ(c.get<server::ServerConfig>().shutdownTimeoutMs, 5000u);
  EXPECT_EQ(c.get<ingest::rtmp::RtmpConfig>(), RtmpConfig{});
  EXPECT_EQ(c.get<ingest::rtmp::RtmpConfig>().port, 1935);
  EXPECT_EQ(c.get<ingest::rtmp::RtmpConfig>().chunkLimits.maxMessageBytes, 0xFFFFFFu);
  ASSERT_EQ(c.get<core::AppsConfig>().apps.size(), 1u);
  EXPECT_EQ(c.get<core::AppsConfig>().apps[0].name, "live");
  EXPECT_TRUE(c.get<core::AppsConfig>().apps[0].anyKey);
  EXPECT_FALSE(c.get<core::AppsConfig>().apps[0].takeover);
  EXPECT_EQ(c.get<core::StreamsConfig>().publisherTimeoutMs, 10000u);
  EXPECT_EQ(c.get<core::StreamsConfig>().gopCacheMaxBytes, 32u * 1024 * 1024);
  EXPECT_EQ(c.get<core::StreamsConfig>().playerBacklog.maxBytes, 4u * 1024 * 1024);
  EXPECT_EQ(c.get<core::StreamsConfig>().playerBacklog.maxMs, 5000u);
}

const char kFullConfig[] = R"(data_dir: /var/lib/tidecast
log:
  level: debug
  format: json
http:
  listen: 127.0.0.1
  port: 9090
  cors_allow_origin: https://example.com
  limits:
    max_header_bytes: 8192
    max_body_bytes: 65536
    header_timeout_ms: 2500
    idle_timeout_ms: 30000
    max_connections: 500
    max_connections_per_ip: 20
    max_pipelined: 4
    max_response_backlog_bytes: 1048576
server:
  shutdown_timeout_ms: 0
)";

// ---- good input ----------------------------------------------------------------------------

TEST(Config, EmptyDocumentGivesBuiltInDefaults) {
  for (const char* yaml : {"", "# nothing but a comment\n", "---\n", "~\n"}) {
    Result<Config> config = parseConfig(yaml, "conf/empty.yaml");
    ASSERT_TRUE(config.ok()) << config.error().message;
    expectDefaults(*config);
    EXPECT_EQ(config->sourcePath(), "conf/empty.yaml");
  }
}

TEST(Config, ParsesTheRedisAndSocialSections) {
  Result<Config> c = parseConfig(
      "redis: {host: 127.0.0.1, port: 6380, command_timeout_ms: 500, cluster: true}\n"
      "social: {store: redis, max_following: 10, writes_per_second: 2}\n",
      "x");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->get<social::store::RedisConfig>().host, "127.0.0.1");
  EXPECT_EQ(c->get<social::store::RedisConfig>().port, 6380);
  EXPECT_EQ(c->get<social::store::RedisConfig>().commandTimeoutMs, 500u);
  EXPECT_TRUE(c->get<social::store::RedisConfig>().cluster);
  EXPECT_FALSE(RedisConfig{}.cluster);
  EXPECT_EQ(c->get<social::SocialConfig>().store, "redis");
  EXPECT_EQ(c->get<social::SocialConfig>().maxFollowing, 10u);
  EXPECT_EQ(c->get<social::SocialConfig>().writesPerSecond, 2u);
  Result<Config> bad = parseConfig("social: {store: mysql}\n", "x");
  ASSERT_FALSE(bad.ok());
  Error notBool = parseError("redis: {cluster: yes please}\n");
  EXPECT_NE(notBool.message.find("redis.cluster"), std::string::npos) << notBool.message;
}

TEST(Config, RedisStoreLayoutAndOutboxTimes) {
  Result<Config> d = parseConfig("", "x");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->get<social::SocialConfig>().redisFollowersBucket, 128u);
  EXPECT_EQ(d->get<social::SocialConfig>().redisOutboxLeaseMs, 15000u);
  EXPECT_EQ(d->get<social::SocialConfig>().redisOutboxGraceMs, 30000u);
  Result<Config> c = parseConfig(
      "redis: {command_timeout_ms: 100}\n"
      "social: {redis_followers_bucket: 512, redis_outbox_lease_ms: 400,"
      " redis_outbox_grace_ms: 1000}\n",
      "x");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->get<social::SocialConfig>().redisFollowersBucket, 512u);
  EXPECT_EQ(c->get<social::SocialConfig>().redisOutboxLeaseMs, 400u);
  EXPECT_EQ(c->get<social::SocialConfig>().redisOutboxGraceMs, 1000u);
  for (const char* yaml :
       {"social: {redis_followers_bucket: 15}\n", "social: {redis_followers_bucket: 4097}\n",
        "social: {redis_outbox_lease_ms: 99}\n"}) {
    Result<Config> bad = parseConfig(yaml, "x");
    ASSERT_FALSE(bad.ok()) << yaml;
    EXPECT_EQ(bad.error().code, "config.invalid_value") << yaml;
  }
  // A lease or grace period must outlast four Redis command timeouts (2000 ms by default).
  Result<Config> lease = parseConfig("social: {redis_outbox_lease_ms: 7999}\n", "f.yaml");
  ASSERT_FALSE(lease.ok());
  EXPECT_NE(lease.error().message.find("social.redis_outbox_lease_ms: expected at least 8000"),
            std::string::npos)
      << lease.error().message;
  Result<Config> grace = parseConfig(
      "redis: {command_timeout_ms: 500}\nsocial: {redis_outbox_grace_ms: 1999}\n", "f.yaml");
  ASSERT_FALSE(grace.ok());
  EXPECT_NE(grace.error().message.find("social.redis_outbox_grace_ms: expected at least 2000"),
            std::string::npos)
      << grace.error().message;
  EXPECT_TRUE(parseConfig("social: {redis_outbox_lease_ms: 8000}\n", "x").ok());
}

TEST(Config, DefaultConstructedConfigHasNoSourcePath) {
  Config config = schemaDefaults();
  EXPECT_EQ(config.sourcePath(), "");
  expectDefaults(config);
}

TEST(Config, ParsesEveryKey) {
  Result<Config> result = parseConfig(kFullConfig, "conf/full.yaml");
  ASSERT_TRUE(result.ok()) << result.error().message;
  const Config& c = *result;
  EXPECT_EQ(c.sourcePath(), "conf/full.yaml");
  EXPECT_EQ(c.get<core::DataDirConfig>().path, "/var/lib/tidecast");
  EXPECT_EQ(c.get<core::LogConfig>().level, "debug");
  EXPECT_EQ(c.get<core::LogConfig>().format, LogFormat::kJson);
  EXPECT_EQ(c.get<api::HttpConfig>().listen, "127.0.0.1");
  EXPECT_EQ(c.get<api::HttpConfig>().port, 9090);
  EXPECT_EQ(c.get<api::HttpConfig>().corsAllowOrigin, "https://example.com");
  EXPECT_EQ(c.get<api::HttpConfig>().limits.maxHeaderBytes, 8192u);
  EXPECT_EQ(c.get<api::HttpConfig>().limits.maxBodyBytes, 65536u);
  EXPECT_EQ(c.get<api::HttpConfig>().limits.headerTimeoutMs, 2500u);
  EXPECT_EQ(c.get<api::HttpConfig>().limits.idleTimeoutMs, 30000u);
  EXPECT_EQ(c.get<api::HttpConfig>().limits.maxConnections, 500u);
  EXPECT_EQ(c.get<api::HttpConfig>().limits.maxConnectionsPerIp, 20u);
  EXPECT_EQ(c.get<api::HttpConfig>().limits.maxPipelined, 4u);
  EXPECT_EQ(c.get<api::HttpConfig>().limits.maxResponseBacklogBytes, 1048576u);
  EXPECT_EQ(c.get<server::ServerConfig>().shutdownTimeoutMs, 0u);
}

TEST(Config, MissingKeysKeepTheirDefaults) {
  Result<Config> c = parseConfig("http:\n  port: 9000\n  limits:\n    max_pipelined: 2\n", "x");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->get<api::HttpConfig>().port, 9000);
  EXPECT_EQ(c->get<api::HttpConfig>().limits.maxPipelined, 2u);
  EXPECT_EQ(c->get<api::HttpConfig>().listen, "0.0.0.0");
  EXPECT_EQ(c->get<api::HttpConfig>().limits.maxHeaderBytes, 16u * 1024);
  EXPECT_EQ(c->get<core::LogConfig>().level, "info");
}

TEST(Config, SectionWithEveryKeyCommentedOutKeepsDefaults) {
  Result<Config> c = parseConfig("log:\n  # level: debug\nhttp:\n", "x");
  ASSERT_TRUE(c.ok()) << c.error().message;
  expectDefaults(*c);
}

TEST(Config, AcceptsFlowStyleAndEmptyCorsOrigin) {
  Result<Config> c = parseConfig("http: {port: 1, cors_allow_origin: ''}\n", "x");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->get<api::HttpConfig>().port, 1);
  EXPECT_EQ(c->get<api::HttpConfig>().corsAllowOrigin, "");
}

TEST(Config, ShippedDefaultFileParsesAndEqualsBuiltInDefaults) {
  // The checkout's root comes from CMake: __FILE__ may be relative (ccache's base dir).
  const auto path = std::filesystem::path(TIDECAST_SOURCE_DIR) / "conf/tidecast.yaml";
  Result<Config> config = loadConfigFile(path.string());
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->sourcePath(), path.string());
  expectDefaults(*config);
}

TEST(Config, LoadsAFileAndNamesItInErrors) {
  const auto path = std::filesystem::temp_directory_path() / "tidecast_config_test.yaml";
  std::ofstream(path) << "http:\n  port: 7000\n  prot: 1\n";
  Result<Config> config = loadConfigFile(path.string());
  std::filesystem::remove(path);
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.error().code, "config.unknown_key");
  EXPECT_EQ(config.error().message, path.string() + ":3:3: unknown key 'http.prot'");
}

// ---- bad input: exact codes and messages ---------------------------------------------------

TEST(Config, RejectsUnknownTopLevelKeyNamingFileLineAndKey) {
  Error e = parseError("data_dir: data\ndatadir: x\n");
  EXPECT_EQ(e.code, "config.unknown_key");
  EXPECT_EQ(e.message, "conf/x.yaml:2:1: unknown key 'datadir'");
}

TEST(Config, RejectsNestedUnknownKeyNamingFileLineAndDottedKey) {
  Error e = parseError("log:\n  level: info\nhttp:\n  prot: 8080\n");
  EXPECT_EQ(e.code, "config.unknown_key");
  EXPECT_EQ(e.message, "conf/x.yaml:4:3: unknown key 'http.prot'");

  e = parseError("http:\n  limits:\n    max_header_byte: 1\n");
  EXPECT_EQ(e.message, "conf/x.yaml:3:5: unknown key 'http.limits.max_header_byte'");
}

TEST(Config, RejectsNonIntegerPort) {
  Error e = parseError("log:\n  level: info\nhttp:\n  port: abc\n");
  EXPECT_EQ(e.code, "config.invalid_value");
  EXPECT_EQ(e.message, "conf/x.yaml:4:9: http.port: expected an integer in 1..65535, got 'abc'");
}

TEST(Config, RejectsPortOutOfRange) {
  Error e = parseError("http:\n  port: 65536\n");
  EXPECT_EQ(e.code, "config.invalid_value");
  EXPECT_EQ(e.message, "conf/x.yaml:2:9: http.port: expected an integer in 1..65535, got '65536'");
  EXPECT_EQ(parseError("http:\n  port: 0\n").code, "config.invalid_value");
  EXPECT_EQ(parseError("http:\n  port: 99999999999999999999999\n").code, "config.invalid_value");
}

TEST(Config, RejectsIntegersWithFractionsSignsOrOtherBases) {
  for (const char* port : {"80.5", "+80", "0x50", "1e3", "' 80'"}) {
    EXPECT_EQ(parseError(std::string("http:\n  port: ") + port + "\n").code, "config.invalid_value")
        << port;
  }
}

TEST(Config, RejectsUnknownLogLevelListingTheChoices) {
  Error e = parseError("log:\n  level: loud\n");
  EXPECT_EQ(e.code, "config.invalid_value");
  EXPECT_EQ(e.message,
            "conf/x.yaml:2:10: log.level: expected one of "
            "trace|debug|info|warn|error|critical|off, got 'loud'");
  e = parseError("log:\n  format: xml\n");
  EXPECT_EQ(e.message, "conf/x.yaml:2:11: log.format: expected one of text|json, got 'xml'");
}

TEST(Config, RejectsNegativeSize) {
  Error e = parseError("http:\n  limits:\n    max_body_bytes: -1\n");
  EXPECT_EQ(e.code, "config.invalid_value");
  EXPECT_EQ(e.message,
            "conf/x.yaml:3:21: http.limits.max_body_bytes: expected an integer in "
            "1..1099511627776, got '-1'");
}

TEST(Config, RejectsZeroTimeoutAndZeroCount) {
  Error e = parseError("http:\n  limits:\n    header_timeout_ms: 0\n");
  EXPECT_EQ(e.message,
            "conf/x.yaml:3:24: http.limits.header_timeout_ms: expected an integer in "
            "1..86400000, got '0'");
  e = parseError("http:\n  limits:\n    max_connections: 0\n");
  EXPECT_EQ(e.message,
            "conf/x.yaml:3:22: http.limits.max_connections: expected an integer in "
            "1..4294967295, got '0'");
}

TEST(Config, RejectsMappingWhereScalarExpected) {
  Error e = parseError("http:\n  port:\n    value: 80\n");
  EXPECT_EQ(e.code, "config.invalid_value");
  EXPECT_EQ(e.message, "conf/x.yaml:3:5: http.port: expected a scalar, got a mapping");
  e = parseError("data_dir: [a, b]\n");
  EXPECT_EQ(e.message, "conf/x.yaml:1:11: data_dir: expected a scalar, got a sequence");
}

TEST(Config, RejectsScalarWhereMappingExpected) {
  Error e = parseError("http: 8080\n");
  EXPECT_EQ(e.code, "config.invalid_value");
  EXPECT_EQ(e.message, "conf/x.yaml:1:7: http: expected a mapping, got '8080'");
}

TEST(Config, RejectsEmptyValuePointingAtItsKey) {
  Error e = parseError("http:\n  port:\n  listen: x\n");
  EXPECT_EQ(e.code, "config.invalid_value");
  EXPECT_EQ(e.message, "conf/x.yaml:2:3: http.port: expected an integer in 1..65535, got null");
  e = parseError("http:\n  listen: ''\n");
  EXPECT_EQ(e.message, "conf/x.yaml:2:11: http.listen: expected a non-empty string, got ''");
}

TEST(Config, RejectsDuplicateKey) {
  Error e = parseError("http:\n  port: 80\n  listen: x\n  port: 81\n");
  EXPECT_EQ(e.code, "config.duplicate_key");
  EXPECT_EQ(e.message, "conf/x.yaml:4:3: duplicate key 'http.port' (first at line 2)");
}

TEST(Config, RejectsYamlSyntaxErrorWithPosition) {
  Error e = parseError("http:\n  port: [80\n");
  EXPECT_EQ(e.code, "config.syntax");
  EXPECT_EQ(e.message, "conf/x.yaml:3:1: end of sequence flow not found");
}

TEST(Config, RejectsDeepNestingWithoutOverflowingTheStack) {
  Error e = parseError("http: " + std::string(100000, '['));
  EXPECT_EQ(e.code, "config.syntax");
  EXPECT_EQ(e.message.substr(e.message.rfind(": ")), ": nested too deeply");
}

TEST(Config, RejectsMoreThanOneDocument) {
  Error e = parseError("data_dir: a\n---\ndata_dir: b\n");
  EXPECT_EQ(e.code, "config.syntax");
  EXPECT_EQ(e.message, "conf/x.yaml:2:1: expected one YAML document, found another");
}

TEST(Config, RejectsStrayFlowTokenThatYamlCppWouldLoopOn) {
  Error e = parseError(",");
  EXPECT_EQ(e.code, "config.syntax");
  EXPECT_EQ(e.message, "conf/x.yaml:1:1: unexpected ','");
  e = parseError("\n  !l,");
  EXPECT_EQ(e.code, "config.syntax");
  EXPECT_EQ(e.message, "conf/x.yaml:2:5: unexpected ','");
}

TEST(Config, RejectsTopLevelThatIsNotAMapping) {
  Error e = parseError("- data_dir: x\n");
  EXPECT_EQ(e.code, "config.invalid_value");
  EXPECT_EQ(e.message, "conf/x.yaml:1:1: top level: expected a mapping, got a sequence");
  e = parseError("just text\n");
  EXPECT_EQ(e.message, "conf/x.yaml:1:1: top level: expected a mapping, got 'just text'");
}

TEST(Config, RejectsNonScalarKey) {
  Error e = parseError("? [a, b]\n: 1\n");
  EXPECT_EQ(e.code, "config.invalid_value");
  EXPECT_EQ(e.message, "conf/x.yaml:1:3: top level: expected a scalar key, got a sequence");
}

TEST(Config, EscapesAndCutsHostileValuesInMessages) {
  Error e = parseError("log:\n  level: \"a\\x01'\\\\\"\n");
  EXPECT_EQ(e.message.substr(e.message.find("got ")), "got 'a\\x01\\'\\\\'");
  e = parseError("log:\n  level: " + std::string(100, 'z') + "\n");
  EXPECT_EQ(e.message.substr(e.message.find("got ")), "got '" + std::string(64, 'z') + "...'");
}

TEST(Config, RejectsMissingFileNamingIt) {
  Result<Config> config = loadConfigFile("/nonexistent/tidecast.yaml");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.error().code, "config.io");
  EXPECT_EQ(config.error().message,
            "/nonexistent/tidecast.yaml: cannot read: No such file or directory");
}

TEST(Config, RejectsDirectoryAsFile) {
  Result<Config> config = loadConfigFile(std::filesystem::temp_directory_path().string());
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.error().code, "config.io");
}

// ---- SIGHUP reload -------------------------------------------------------------------------

TEST(Config, ReloadCopiesReloadableKeysAndReportsNone) {
  Config live = schemaDefaults();
  Config fresh = schemaDefaults();
  fresh.edit<core::LogConfig>().level = "debug";
  fresh.edit<core::LogConfig>().format = LogFormat::kJson;
  fresh.edit<api::HttpConfig>().limits.maxBodyBytes = 42;
  fresh.edit<api::HttpConfig>().limits.maxPipelined = 3;
  fresh.edit<api::HttpConfig>().corsAllowOrigin = "https://a.example";
  fresh.edit<server::ServerConfig>().shutdownTimeoutMs = 1;

  EXPECT_TRUE(applyReload(live, fresh).empty());
  EXPECT_EQ(live.get<core::LogConfig>().level, "debug");
  EXPECT_EQ(live.get<core::LogConfig>().format, LogFormat::kJson);
  EXPECT_EQ(live.get<api::HttpConfig>().limits.maxBodyBytes, 42u);
  EXPECT_EQ(live.get<api::HttpConfig>().limits.maxPipelined, 3u);
  EXPECT_EQ(live.get<api::HttpConfig>().corsAllowOrigin, "https://a.example");
  EXPECT_EQ(live.get<server::ServerConfig>().shutdownTimeoutMs, 1u);
}

TEST(Config, ReloadKeepsRestartOnlyKeysAndNamesThem) {
  Config live = schemaDefaults();
  Config fresh = schemaDefaults();
  fresh.edit<core::DataDirConfig>().path = "elsewhere";
  fresh.edit<api::HttpConfig>().listen = "127.0.0.1";
  fresh.edit<api::HttpConfig>().port = 9999;
  fresh.edit<core::LogConfig>().level = "warn";

  EXPECT_EQ(applyReload(live, fresh),
            (std::vector<std::string>{"data_dir", "http.listen", "http.port"}));
  EXPECT_EQ(live.get<core::DataDirConfig>().path, "data");
  EXPECT_EQ(live.get<api::HttpConfig>().listen, "0.0.0.0");
  EXPECT_EQ(live.get<api::HttpConfig>().port, 8080);
  EXPECT_EQ(live.get<core::LogConfig>().level, "warn");
}

TEST(Config, ReloadOfUnchangedConfigChangesNothing) {
  Result<Config> fresh = parseConfig(kFullConfig, "conf/full.yaml");
  ASSERT_TRUE(fresh.ok());
  Config live = *fresh;
  EXPECT_TRUE(applyReload(live, *fresh).empty());
  EXPECT_EQ(live.get<api::HttpConfig>().limits.maxConnections, 500u);
}

// ---- rtmp, apps, streams ---------------------------------------------------------------------

TEST(Config, ParsesRtmpAppsAndStreams) {
  auto c = parseConfig(R"(rtmp:
  enabled: false
  port: 19350
  chunk_size: 60000
  limits:
    max_message_bytes: 1048576
apps:
  live:
    publish_keys: [alpha, beta]
    on_conflict: takeover
  events: {}
streams:
  publisher_timeout_ms: 3000
  player_max_backlog_bytes: 65536
)",
                       "t.yaml");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_FALSE(c->get<ingest::rtmp::RtmpConfig>().enabled);
  EXPECT_EQ(c->get<ingest::rtmp::RtmpConfig>().port, 19350);
  EXPECT_EQ(c->get<ingest::rtmp::RtmpConfig>().outChunkSize, 60000u);
  EXPECT_EQ(c->get<ingest::rtmp::RtmpConfig>().chunkLimits.maxMessageBytes, 1048576u);
  ASSERT_EQ(c->get<core::AppsConfig>().apps.size(), 2u);
  EXPECT_EQ(c->get<core::AppsConfig>().apps[0].name, "live");
  EXPECT_FALSE(c->get<core::AppsConfig>().apps[0].anyKey);
  EXPECT_EQ(c->get<core::AppsConfig>().apps[0].publishKeys,
            (std::vector<std::string>{"alpha", "beta"}));
  EXPECT_TRUE(c->get<core::AppsConfig>().apps[0].takeover);
  EXPECT_EQ(c->get<core::AppsConfig>().apps[1].name, "events");
  EXPECT_TRUE(c->get<core::AppsConfig>().apps[1].anyKey);
  EXPECT_EQ(c->get<core::StreamsConfig>().publisherTimeoutMs, 3000u);
  EXPECT_EQ(c->get<core::StreamsConfig>().playerBacklog.maxBytes, 65536u);
}

TEST(Config, RejectsReservedAndMalformedAppNames) {
  Error reserved = parseError("apps:\n  api:\n    publish_keys: any\n");
  EXPECT_EQ(reserved.code, "config.invalid_value");
  EXPECT_EQ(
      reserved.message,
      "conf/x.yaml:2:3: apps: expected an app name of [A-Za-z0-9_.-], not one of the reserved "
      "routes, got 'api'");
  EXPECT_EQ(parseError("apps:\n  a/b: {}\n").code, "config.invalid_value");
  EXPECT_EQ(parseError("apps:\n  live: {}\n  live: {}\n").code, "config.duplicate_key");
}

TEST(Config, RejectsBadPublishKeysAndConflictPolicy) {
  Error keys = parseError("apps:\n  live:\n    publish_keys: some\n");
  EXPECT_EQ(
      keys.message,
      "conf/x.yaml:3:19: apps.live.publish_keys: expected 'any' or a list of stream keys, got "
      "'some'");
  EXPECT_EQ(parseError("apps:\n  live:\n    publish_keys: ['']\n").code, "config.invalid_value");
  Error policy = parseError("apps:\n  live:\n    on_conflict: steal\n");
  EXPECT_EQ(
      policy.message,
      "conf/x.yaml:3:18: apps.live.on_conflict: expected one of reject|takeover, got 'steal'");
  EXPECT_EQ(parseError("apps:\n  live:\n    bogus: 1\n").message,
            "conf/x.yaml:3:5: unknown key 'apps.live.bogus'");
}

TEST(Config, RejectsRtmpLimitsOutOfRange) {
  Error size = parseError("rtmp:\n  limits:\n    max_message_bytes: 16777216\n");
  EXPECT_EQ(
      size.message,
      "conf/x.yaml:3:24: rtmp.limits.max_message_bytes: expected an integer in 1024..16777215, "
      "got '16777216'");
  EXPECT_EQ(parseError("rtmp:\n  enabled: yes\n").message,
            "conf/x.yaml:2:12: rtmp.enabled: expected one of true|false, got 'yes'");
}

TEST(Config, ReloadAppliesAppsAndReportsRtmpRestart) {
  Config live = schemaDefaults();
  auto fresh = parseConfig("rtmp:\n  port: 2000\napps:\n  other: {}\n", "t.yaml");
  ASSERT_TRUE(fresh.ok());
  auto restart = applyReload(live, *fresh);
  EXPECT_EQ(restart, std::vector<std::string>{"rtmp.port"});
  EXPECT_EQ(live.get<ingest::rtmp::RtmpConfig>().port, 1935)
      << "needs a restart: keeps running value";
  ASSERT_EQ(live.get<core::AppsConfig>().apps.size(), 1u);
  EXPECT_EQ(live.get<core::AppsConfig>().apps[0].name, "other");
}

TEST(Config, SrtSectionWithPerAppPassphrases) {
  Result<Config> c = parseConfig(
      "srt:\n  port: 9100\n  latency_ms: 400\n  passphrase: 'ten chars!'\n  pbkeylen: 32\n"
      "  apps:\n    live:\n      passphrase: 'another secret'\n",
      "x");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->get<ingest::srt::SrtConfig>().port, 9100);
  EXPECT_EQ(c->get<ingest::srt::SrtConfig>().latencyMs, 400u);
  EXPECT_EQ(c->get<ingest::srt::SrtConfig>().passphrase, "ten chars!");
  EXPECT_EQ(c->get<ingest::srt::SrtConfig>().pbkeylen, 32u);
  ASSERT_EQ(c->get<ingest::srt::SrtConfig>().appPassphrases.size(), 1u);
  EXPECT_EQ(c->get<ingest::srt::SrtConfig>().appPassphrases.begin()->first, "live");
  EXPECT_EQ(c->get<ingest::srt::SrtConfig>().appPassphrases.begin()->second, "another secret");
}

TEST(Config, SrtRejectsShortPassphrasesAndOddKeyLengths) {
  for (const char* text : {"srt: {passphrase: short}\n", "srt: {pbkeylen: 20}\n",
                           "srt: {apps: {live: {passphrase: short}}}\n",
                           "srt: {apps: {live: {secret: 'long enough one'}}}\n",
                           "srt: {apps: {live: {passphrase: 'long enough one'}, "
                           "live: {passphrase: 'long enough two'}}}\n"}) {
    Result<Config> c = parseConfig(text, "x");
    EXPECT_FALSE(c.ok()) << text;
  }
}

}  // namespace
}  // namespace tidecast::core
