// TIDECAST_<SECTION>_<KEY> overrides, and the printed file: every key, reparsed the same.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "tests/server/config_test_util.h"

namespace tidecast::core {
namespace {

Environment fakeEnvironment(std::map<std::string, std::string> vars) {
  auto shared = std::make_shared<std::map<std::string, std::string>>(std::move(vars));
  return [shared](const char* name) -> const char* {
    auto it = shared->find(name);
    return it == shared->end() ? nullptr : it->second.c_str();
  };
}

Result<Config> parseWith(std::string_view yaml, std::map<std::string, std::string> vars) {
  return parseConfig(server::configSchema(), yaml, "f.yaml", fakeEnvironment(std::move(vars)));
}

TEST(ConfigEnvironment, EveryFieldHasItsVariable) {
  for (const ConfigSection* section : server::configSchema().sections()) {
    for (const ConfigField& field : section->fields) {
      const std::string name = environmentName(*section, field);
      EXPECT_EQ(name.rfind("TIDECAST_", 0), 0u) << name;
      EXPECT_EQ(name.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"), std::string::npos)
          << name;
    }
  }
  const ConfigSection* http = server::configSchema().find("http");
  ASSERT_NE(http, nullptr);
  EXPECT_EQ(environmentName(*http, http->fields[1]), "TIDECAST_HTTP_PORT");
}

TEST(ConfigEnvironment, VariablesWinOverTheFile) {
  auto c = parseWith("http: {port: 9000}\nlog: {level: warn}\n",
                     {{"TIDECAST_HTTP_PORT", "18080"},
                      {"TIDECAST_HTTP_LIMITS_MAX_BODY_BYTES", "4096"},
                      {"TIDECAST_DATA_DIR", "/var/lib/tidecast"},
                      {"TIDECAST_ADMIN_TOKEN_SHA256", "[" + std::string(64, 'a') + "]"},
                      {"TIDECAST_APPS", "{studio: {publish_keys: [k1]}, live: {}}"}});
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->get<HttpConfig>().port, 18080);
  EXPECT_EQ(c->get<HttpConfig>().limits.maxBodyBytes, 4096u);
  EXPECT_EQ(c->get<LogConfig>().level, "warn");  // from the file: no variable
  EXPECT_EQ(c->get<DataDirConfig>().path, "/var/lib/tidecast");
  EXPECT_EQ(c->get<api::admin::AdminConfig>().tokenSha256,
            std::vector<std::string>{std::string(64, 'a')});
  const auto& apps = c->get<AppsConfig>().apps;
  ASSERT_EQ(apps.size(), 2u);
  EXPECT_EQ(apps[0].name, "studio");
  EXPECT_EQ(apps[0].publishKeys, std::vector<std::string>{"k1"});
}

TEST(ConfigEnvironment, ABadValueNamesTheVariable) {
  struct Case {
    std::string name, value, message;
  };
  const Case cases[] = {
      {"TIDECAST_HTTP_PORT", "x",
       "TIDECAST_HTTP_PORT: http.port: expected an integer in "
       "1..65535, got 'x'"},
      {"TIDECAST_HTTP_PORT", "",
       "TIDECAST_HTTP_PORT: http.port: expected an integer in "
       "1..65535, got null"},
      {"TIDECAST_SRT_PBKEYLEN", "17",
       "TIDECAST_SRT_PBKEYLEN: srt.pbkeylen: expected one of "
       "16|24|32, got '17'"},
      {"TIDECAST_RTMP_LIMITS_MAX_CHUNK_STREAMS", "[1]",
       "TIDECAST_RTMP_LIMITS_MAX_CHUNK_STREAMS: rtmp.limits.max_chunk_streams: expected a "
       "scalar, got a sequence"},
      {"TIDECAST_ADMIN_READ_TOKEN_SHA256", "[zz]",
       "TIDECAST_ADMIN_READ_TOKEN_SHA256: admin.read_token_sha256: expected 64 lower-case hex "
       "digits (tidecast --hash-token TOKEN prints them), got 'zz'"},
  };
  for (const Case& c : cases) {
    auto result = parseWith("", {{c.name, c.value}});
    ASSERT_FALSE(result.ok()) << c.name;
    EXPECT_EQ(result.error().code, "config.invalid_value") << c.name;
    EXPECT_EQ(result.error().message, c.message);
  }
  auto syntax = parseWith("", {{"TIDECAST_APPS", "{live: [}"}});
  ASSERT_FALSE(syntax.ok());
  EXPECT_EQ(syntax.error().code, "config.syntax");
  EXPECT_EQ(syntax.error().message.rfind("TIDECAST_APPS: ", 0), 0u) << syntax.error().message;
}

TEST(ConfigEnvironment, ChecksBetweenSectionsSeeTheVariables) {
  auto c = parseWith("", {{"TIDECAST_APPS", "{live: {transcode: abr}}"}});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("no ladder named 'abr'"), std::string::npos);
}

TEST(ConfigPrint, ThePrintedFileReadsBackToTheSameConfig) {
  auto c = parseWith(
      "apps: {live: {publish_keys: [a, b], on_conflict: takeover, transcode: abr}}\n"
      "transcode: {ladders: {abr: {renditions: [{name: 480p, height: 480}]}}}\n"
      "srt: {apps: {live: {passphrase: \"0123456789\"}}}\n"
      "http: {cors_allow_origin: '', limits: {max_pipelined: 2}}\n",
      {});
  ASSERT_TRUE(c.ok()) << c.error().message;
  const std::string printed = printConfig(*c);
  auto again = parseConfig(printed, "printed.yaml");
  ASSERT_TRUE(again.ok()) << again.error().message << "\n" << printed;
  EXPECT_EQ(printConfig(*again), printed);
  EXPECT_EQ(again->get<AppsConfig>().apps[0].publishKeys, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(again->get<AppsConfig>().apps[0].takeover);
  EXPECT_EQ(again->get<TranscodeConfig>(), c->get<TranscodeConfig>());
  EXPECT_EQ(again->get<SrtConfig>(), c->get<SrtConfig>());
  EXPECT_EQ(again->get<HttpConfig>(), c->get<HttpConfig>());
  // Each changed value is flagged once above its key; nothing else is.
  size_t notes = 0;
  for (size_t at = printed.find("NOTE: differs"); at != std::string::npos;
       at = printed.find("NOTE: differs", at + 1)) {
    ++notes;
  }
  EXPECT_EQ(notes, 5u) << printed;  // apps, transcode.ladders, srt.apps, cors, max_pipelined
}

TEST(ConfigPrint, NamesAndTextThatNeedQuotingPrintBackTheSame) {
  auto c = parseWith(
      "apps: {live: {transcode: 'x: y'}}\n"
      "transcode: {ladders: {'x: y': {renditions: [{name: a}]}, '#null': {}}}\n"
      "http: {cors_allow_origin: \"~\", listen: \"- 1\"}\n",
      {});
  ASSERT_TRUE(c.ok()) << c.error().message;
  const std::string printed = printConfig(*c);
  auto again = parseConfig(printed, "printed.yaml");
  ASSERT_TRUE(again.ok()) << again.error().message << "\n" << printed;
  EXPECT_EQ(again->get<TranscodeConfig>(), c->get<TranscodeConfig>());
  EXPECT_EQ(again->get<HttpConfig>().corsAllowOrigin, "~");
  EXPECT_EQ(printConfig(*again), printed);
}

TEST(ConfigPrint, TextThatIsNotUtf8IsRefused) {
  auto value = parseWith("http: {cors_allow_origin: \"a\xff\"}\n", {});
  ASSERT_FALSE(value.ok());
  EXPECT_EQ(value.error().message,
            "f.yaml:1:27: http.cors_allow_origin: expected UTF-8 text, got 'a\\xff'");
  auto name = parseWith("transcode: {ladders: {\"\xfe\": {}}}\n", {});
  ASSERT_FALSE(name.ok());
  EXPECT_NE(name.error().message.find("transcode.ladders: expected a ladder name"),
            std::string::npos)
      << name.error().message;
}

TEST(ConfigPrint, DefaultsPrintEverySectionAndKeyWithoutNotes) {
  const std::string printed = printConfig(schemaDefaults());
  EXPECT_EQ(printed.find("NOTE: differs"), std::string::npos);
  for (const ConfigSection* section : server::configSchema().sections()) {
    EXPECT_NE(printed.find("\n" + section->name + ":"), std::string::npos) << section->name;
  }
  EXPECT_NE(printed.find("    max_body_bytes: 1048576\n"), std::string::npos);
  EXPECT_NE(printed.find("  cors_allow_origin: \"*\"\n"), std::string::npos);
}

}  // namespace
}  // namespace tidecast::core
