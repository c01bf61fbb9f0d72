#include "api/router.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace tidecast::api {
namespace {

HttpHandler noop() {
  return [](HttpRequest&, const std::shared_ptr<HttpResponse>&) {};
}

TEST(Router, CapturesNamedSegments) {
  Router router;
  router.add("GET", "/{app}/{key}/index.m3u8", noop());
  auto m = router.match("GET", "/live/abc/index.m3u8");
  ASSERT_EQ(m.status, 200);
  ASSERT_EQ(m.params.size(), 2u);
  EXPECT_EQ(m.params[0], (std::pair<std::string, std::string>{"app", "live"}));
  EXPECT_EQ(m.params[1], (std::pair<std::string, std::string>{"key", "abc"}));
}

TEST(Router, CapturesWithSuffixAndPrefix) {
  Router router;
  router.add("GET", "/{app}/{key}.flv", noop());
  router.add("GET", "/{app}/{key}/part-{n}.m4s", noop());
  auto flv = router.match("GET", "/live/k1.flv");
  ASSERT_EQ(flv.status, 200);
  EXPECT_EQ(flv.params[1].second, "k1");
  auto part = router.match("GET", "/live/k1/part-42.m4s");
  ASSERT_EQ(part.status, 200);
  EXPECT_EQ(part.params[2].second, "42");
  EXPECT_EQ(router.match("GET", "/live/.flv").status, 404) << "captures are never empty";
}

TEST(Router, LiteralBeatsCapture) {
  Router router;
  int which = 0;
  router.add("GET", "/{app}/{key}", [&](HttpRequest&, const auto&) { which = 1; });
  router.add("GET", "/api/{thing}", [&](HttpRequest&, const auto&) { which = 2; });
  auto m = router.match("GET", "/api/streams");
  ASSERT_EQ(m.status, 200);
  HttpRequest request;
  (*m.handler)(request, nullptr);
  EXPECT_EQ(which, 2);
}

TEST(Router, RestCaptureTakesTheRemainingPath) {
  Router router;
  router.add("GET", "/assets/{path*}", noop());
  auto m = router.match("GET", "/assets/js/player.js");
  ASSERT_EQ(m.status, 200);
  EXPECT_EQ(m.params[0].second, "js/player.js");
  EXPECT_EQ(router.match("GET", "/assets").status, 404);
  EXPECT_EQ(router.match("GET", "/assets/a//b").status, 404);
}

TEST(Router, WrongMethodIs405WithAllow) {
  Router router;
  router.add("GET", "/api/v1/streams", noop());
  router.add("POST", "/api/v1/streams", noop());
  auto m = router.match("DELETE", "/api/v1/streams");
  EXPECT_EQ(m.status, 405);
  EXPECT_EQ(m.allow, "GET, HEAD, POST, OPTIONS");
}

TEST(Router, HeadFallsBackToGet) {
  Router router;
  router.add("GET", "/healthz", noop());
  EXPECT_EQ(router.match("HEAD", "/healthz").status, 200);
}

TEST(Router, UnknownPathIs404AndBadEscapeIs400) {
  Router router;
  router.add("GET", "/healthz", noop());
  EXPECT_EQ(router.match("GET", "/nope").status, 404);
  EXPECT_EQ(router.match("GET", "/healthz/").status, 404);
  EXPECT_EQ(router.match("GET", "/%zz").status, 400);
}

TEST(Router, MatchesPercentDecodedSegments) {
  Router router;
  router.add("GET", "/watch/{app}/{key}", noop());
  auto m = router.match("GET", "/w%61tch/live/a%2Fb");
  ASSERT_EQ(m.status, 200);
  EXPECT_EQ(m.params[1].second, "a/b");
}

TEST(Router, RejectsMalformedPatternsAtRegistration) {
  Router router;
  EXPECT_THROW(router.add("GET", "no-slash", noop()), std::invalid_argument);
  EXPECT_THROW(router.add("GET", "/{unclosed", noop()), std::invalid_argument);
  EXPECT_THROW(router.add("GET", "/{rest*}/more", noop()), std::invalid_argument);
  router.add("GET", "/x", noop());
  EXPECT_THROW(router.add("GET", "/x", noop()), std::invalid_argument);
}

TEST(Router, ListsRoutesInRegistrationOrder) {
  Router router;
  router.add("GET", "/a", noop());
  router.add("POST", "/b", noop());
  router.add("DELETE", "/a", noop());
  auto routes = router.routes();
  ASSERT_EQ(routes.size(), 3u);
  EXPECT_EQ(routes[0], (std::pair<std::string, std::string>{"GET", "/a"}));
  EXPECT_EQ(routes[1], (std::pair<std::string, std::string>{"DELETE", "/a"}));
  EXPECT_EQ(routes[2], (std::pair<std::string, std::string>{"POST", "/b"}));
}

}  // namespace
}  // namespace tidecast::api
