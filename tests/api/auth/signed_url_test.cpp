#include "api/auth/signed_url.h"

#include <gtest/gtest.h>

#include "api/auth/crypto.h"

namespace tidecast::api::auth {
namespace {

constexpr int64_t kNowMs = 1'800'000'000'000;
constexpr int64_t kNow = kNowMs / 1000;

core::AppConfig signedApp() {
  core::AppConfig app{"live", true, {}, false};
  app.playbackSecret = "s3cret";
  app.playbackTtlMs = 3600 * 1000;
  return app;
}

std::string code(const core::Status& status) { return status ? "ok" : status.error().code; }

TEST(SignedUrl, AcceptsAValidSignatureInHexOrBase64Url) {
  auto app = signedApp();
  std::string query = signPlayback("s3cret", "live", "cam", kNow + 60);
  EXPECT_EQ(code(verifyPlayback(&app, "live", "cam", query, kNowMs)), "ok");
  std::string mac = hmacSha256("s3cret", "/live/cam:" + std::to_string(kNow + 60));
  std::string upper = "expires=" + std::to_string(kNow + 60) + "&signature=" + hexEncode(mac);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  upper.replace(0, 8, "expires=");  // keep the names lower case
  upper.replace(upper.find("&SIGNATURE="), 11, "&signature=");
  EXPECT_EQ(code(verifyPlayback(&app, "live", "cam", upper, kNowMs)), "ok");
  std::string b64 =
      "_HLS_msn=3&expires=" + std::to_string(kNow + 60) + "&signature=" + base64UrlEncode(mac);
  EXPECT_EQ(code(verifyPlayback(&app, "live", "cam", b64, kNowMs)), "ok");
}

TEST(SignedUrl, RefusesUnsignedExpiredTamperedAndTooLongLived) {
  auto app = signedApp();
  EXPECT_EQ(code(verifyPlayback(&app, "live", "cam", "", kNowMs)), "playback.unsigned");
  EXPECT_EQ(code(verifyPlayback(&app, "live", "cam", "expires=1", kNowMs)), "playback.unsigned");
  std::string expired = signPlayback("s3cret", "live", "cam", kNow - 1);
  EXPECT_EQ(code(verifyPlayback(&app, "live", "cam", expired, kNowMs)), "playback.expired");
  std::string valid = signPlayback("s3cret", "live", "cam", kNow + 60);
  // Another stream, another expiry, another secret.
  EXPECT_EQ(code(verifyPlayback(&app, "live", "other", valid, kNowMs)), "playback.bad_signature");
  std::string later = valid;
  later.replace(later.find(std::to_string(kNow + 60)), 10, std::to_string(kNow + 99));
  EXPECT_EQ(code(verifyPlayback(&app, "live", "cam", later, kNowMs)), "playback.bad_signature");
  EXPECT_EQ(code(verifyPlayback(&app, "live", "cam",
                                signPlayback("other", "live", "cam", kNow + 60), kNowMs)),
            "playback.bad_signature");
  EXPECT_EQ(code(verifyPlayback(&app, "live", "cam", "expires=x&signature=00", kNowMs)),
            "playback.bad_signature");
  EXPECT_EQ(code(verifyPlayback(&app, "live", "cam",
                                signPlayback("s3cret", "live", "cam", kNow + 7200), kNowMs)),
            "playback.ttl_too_long");
}

TEST(SignedUrl, AppsWithoutASecretNeedNothing) {
  core::AppConfig open{"live", true, {}, false};
  EXPECT_EQ(code(verifyPlayback(&open, "live", "cam", "", kNowMs)), "ok");
  EXPECT_EQ(code(verifyPlayback(nullptr, "x", "cam", "", kNowMs)), "ok");
  EXPECT_EQ(playbackQuery(&open, signPlayback("s", "live", "cam", kNow)), "");
}

TEST(SignedUrl, PlaybackQueryKeepsOnlyTheSignature) {
  auto app = signedApp();
  std::string signature = signPlayback("s3cret", "live", "cam", kNow + 60);
  EXPECT_EQ(playbackQuery(&app, "_HLS_msn=4&" + signature + "&_HLS_part=1"), signature);
  EXPECT_EQ(playbackQuery(&app, "expires=1&signature=zz"), "");
}

}  // namespace
}  // namespace tidecast::api::auth
