#include "api/webhooks/webhook_answer.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <vector>
#include "api/webhooks/webhooks_plugin.h"

namespace tidecast::api::webhooks {
namespace {

TEST(PublishAnswer, EmptyOrNonJsonBodiesKeepTheKey) {
  for (std::string body : {"", "OK", "[1,2]", "{}", R"({"other":1})", R"({"stream":null})"}) {
    auto answer = parsePublishAnswer(body);
    ASSERT_TRUE(answer) << body;
    EXPECT_FALSE(answer->has_value()) << body;
  }
}

TEST(PublishAnswer, AStreamFieldRenames) {
  auto answer = parsePublishAnswer(R"({"stream": "renamed"})");
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->value(), "renamed");
}

TEST(PublishAnswer, RejectsInvalidKeysAndDeepNesting) {
  for (const std::string& body : std::vector<std::string>{
           R"({"stream": 5})", R"({"stream": "a/b"})", R"({"stream": ""})", R"({"stream": ".."})",
           std::string(100, '[') + std::string(100, ']')}) {
    auto answer = parsePublishAnswer(body);
    ASSERT_FALSE(answer) << body;
    EXPECT_EQ(answer.error().code, "webhook.bad_answer");
  }
}

TEST(WebhookBody, CarriesEveryFieldAndSurvivesInvalidUtf8) {
  auto body = nlohmann::json::parse(
      webhookBody("on_publish", "live/cam", 7, "rtmp", "127.0.0.1:5", "", "t=\xff", 123));
  EXPECT_EQ(body["event"], "on_publish");
  EXPECT_EQ(body["app"], "live");
  EXPECT_EQ(body["key"], "cam");
  EXPECT_EQ(body["stream"], "live/cam");
  EXPECT_EQ(body["session"], 7);
  EXPECT_EQ(body["protocol"], "rtmp");
  EXPECT_EQ(body["peer"], "127.0.0.1:5");
  EXPECT_EQ(body["reason"], "");
  EXPECT_EQ(body["time"], 123);
  EXPECT_EQ(body["query"], "t=\xEF\xBF\xBD");
}

}  // namespace
}  // namespace tidecast::api::webhooks
