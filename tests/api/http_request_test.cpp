#include "api/http_request.h"

#include <gtest/gtest.h>

namespace tidecast::api {
namespace {

TEST(HttpRequest, BearerTokenReadsTheAuthorizationHeader) {
  struct Case {
    const char* header;  // null: no Authorization header
    std::string_view token;
  };
  const Case cases[] = {
      {nullptr, ""},   {"Bearer abc", "abc"}, {"bearer abc", "abc"},      {"BEARER  abc  ", "abc"},
      {"Bearer ", ""}, {"Bearer", ""},        {"Basic dXNlcjpwYXNz", ""}, {"Bearerabc", ""},
  };
  for (const Case& c : cases) {
    HttpRequest request;
    if (c.header != nullptr) request.headers.emplace_back("authorization", c.header);
    EXPECT_EQ(request.bearerToken(), c.token) << (c.header ? c.header : "(none)");
  }
}

}  // namespace
}  // namespace tidecast::api
