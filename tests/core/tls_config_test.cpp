// The https: and rtmps: config sections: defaults, parsing, and what a reload applies (files,
// ciphers, timeout) versus what needs a restart (enabled, listen, port).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "core/config.h"

namespace tidecast::core {
namespace {

TEST(TlsListenerConfig, DefaultsAreOffOnPorts8443And1936) {
  Config config;
  EXPECT_FALSE(config.https.enabled);
  EXPECT_EQ(config.https.port, 8443);
  EXPECT_FALSE(config.rtmps.enabled);
  EXPECT_EQ(config.rtmps.port, 1936);
  EXPECT_EQ(config.https.handshakeTimeoutMs, 10000u);
}

TEST(TlsListenerConfig, ShippedFileDocumentsTheDefaults) {
  const auto path = std::filesystem::path(TIDECAST_SOURCE_DIR) / "conf/tidecast.yaml";
  Result<Config> config = loadConfigFile(path.string());
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->https, Config{}.https);
  EXPECT_EQ(config->rtmps, Config{}.rtmps);
}

TEST(TlsListenerConfig, ParsesEveryKeyAndRejectsUnknownOnes) {
  auto config = parseConfig(R"(
https:
  enabled: true
  listen: 127.0.0.1
  port: 9443
  cert_file: /etc/tc/cert.pem
  key_file: /etc/tc/key.pem
  ciphers: ECDHE-RSA-AES128-GCM-SHA256
  ciphersuites: TLS_AES_128_GCM_SHA256
  handshake_timeout_ms: 2500
rtmps:
  enabled: true
  cert_file: c.pem
  key_file: k.pem
)",
                            "t.yaml");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_TRUE(config->https.enabled);
  EXPECT_EQ(config->https.listen, "127.0.0.1");
  EXPECT_EQ(config->https.port, 9443);
  EXPECT_EQ(config->https.certFile, "/etc/tc/cert.pem");
  EXPECT_EQ(config->https.keyFile, "/etc/tc/key.pem");
  EXPECT_EQ(config->https.ciphers, "ECDHE-RSA-AES128-GCM-SHA256");
  EXPECT_EQ(config->https.ciphersuites, "TLS_AES_128_GCM_SHA256");
  EXPECT_EQ(config->https.handshakeTimeoutMs, 2500u);
  EXPECT_TRUE(config->rtmps.enabled);
  EXPECT_EQ(config->rtmps.port, 1936);

  auto typo = parseConfig("https:\n  cert: x.pem\n", "t.yaml");
  ASSERT_FALSE(typo.ok());
  EXPECT_EQ(typo.error().code, "config.unknown_key");
  EXPECT_NE(typo.error().message.find("https.cert"), std::string::npos);
}

TEST(TlsListenerConfig, ReloadTakesFilesAndTimeoutButNotTheAddress) {
  Config live;
  live.https.enabled = true;
  live.https.certFile = "old.pem";
  Config fresh = live;
  fresh.https.certFile = "new.pem";
  fresh.https.keyFile = "new.key";
  fresh.https.handshakeTimeoutMs = 500;
  fresh.https.port = 9999;
  fresh.rtmps.enabled = true;
  auto restart = applyReload(live, fresh);
  EXPECT_EQ(live.https.certFile, "new.pem");
  EXPECT_EQ(live.https.keyFile, "new.key");
  EXPECT_EQ(live.https.handshakeTimeoutMs, 500u);
  EXPECT_EQ(live.https.port, 8443) << "the listener keeps its port until a restart";
  EXPECT_FALSE(live.rtmps.enabled);
  EXPECT_NE(std::find(restart.begin(), restart.end(), "https"), restart.end());
  EXPECT_NE(std::find(restart.begin(), restart.end(), "rtmps"), restart.end());
}

}  // namespace
}  // namespace tidecast::core
