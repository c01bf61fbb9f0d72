// The https: and rtmps: config sections: defaults, parsing, and what a reload applies (files,
// ciphers, timeout) versus what needs a restart (enabled, listen, port).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "tests/server/config_test_util.h"

namespace tidecast::core {
namespace {

TEST(TlsListenerConfig, DefaultsAreOffOnPorts8443And1936) {
  Config config = schemaDefaults();
  EXPECT_FALSE(config.get<api::HttpsConfig>().enabled);
  EXPECT_EQ(config.get<api::HttpsConfig>().port, 8443);
  EXPECT_FALSE(config.get<ingest::rtmp::RtmpsConfig>().enabled);
  EXPECT_EQ(config.get<ingest::rtmp::RtmpsConfig>().port, 1936);
  EXPECT_EQ(config.get<api::HttpsConfig>().handshakeTimeoutMs, 10000u);
}

TEST(TlsListenerConfig, ShippedFileDocumentsTheDefaults) {
  const auto path = std::filesystem::path(TIDECAST_SOURCE_DIR) / "conf/tidecast.yaml";
  Result<Config> config = loadConfigFile(path.string());
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->get<api::HttpsConfig>(), HttpsConfig{});
  EXPECT_EQ(config->get<ingest::rtmp::RtmpsConfig>(), RtmpsConfig{});
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
  EXPECT_TRUE(config->get<api::HttpsConfig>().enabled);
  EXPECT_EQ(config->get<api::HttpsConfig>().listen, "127.0.0.1");
  EXPECT_EQ(config->get<api::HttpsConfig>().port, 9443);
  EXPECT_EQ(config->get<api::HttpsConfig>().certFile, "/etc/tc/cert.pem");
  EXPECT_EQ(config->get<api::HttpsConfig>().keyFile, "/etc/tc/key.pem");
  EXPECT_EQ(config->get<api::HttpsConfig>().ciphers, "ECDHE-RSA-AES128-GCM-SHA256");
  EXPECT_EQ(config->get<api::HttpsConfig>().ciphersuites, "TLS_AES_128_GCM_SHA256");
  EXPECT_EQ(config->get<api::HttpsConfig>().handshakeTimeoutMs, 2500u);
  EXPECT_TRUE(config->get<ingest::rtmp::RtmpsConfig>().enabled);
  EXPECT_EQ(config->get<ingest::rtmp::RtmpsConfig>().port, 1936);

  auto typo = parseConfig("https:\n  cert: x.pem\n", "t.yaml");
  ASSERT_FALSE(typo.ok());
  EXPECT_EQ(typo.error().code, "config.unknown_key");
  EXPECT_NE(typo.error().message.find("https.cert"), std::string::npos);
}

TEST(TlsListenerConfig, ReloadTakesFilesAndTimeoutButNotTheAddress) {
  Config live = schemaDefaults();
  live.edit<api::HttpsConfig>().enabled = true;
  live.edit<api::HttpsConfig>().certFile = "old.pem";
  Config fresh = live;
  fresh.edit<api::HttpsConfig>().certFile = "new.pem";
  fresh.edit<api::HttpsConfig>().keyFile = "new.key";
  fresh.edit<api::HttpsConfig>().handshakeTimeoutMs = 500;
  fresh.edit<api::HttpsConfig>().port = 9999;
  fresh.edit<ingest::rtmp::RtmpsConfig>().enabled = true;
  auto restart = applyReload(live, fresh);
  EXPECT_EQ(live.get<api::HttpsConfig>().certFile, "new.pem");
  EXPECT_EQ(live.get<api::HttpsConfig>().keyFile, "new.key");
  EXPECT_EQ(live.get<api::HttpsConfig>().handshakeTimeoutMs, 500u);
  EXPECT_EQ(live.get<api::HttpsConfig>().port, 8443)
      << "the listener keeps its port until a restart";
  EXPECT_FALSE(live.get<ingest::rtmp::RtmpsConfig>().enabled);
  EXPECT_NE(std::find(restart.begin(), restart.end(), "https.port"), restart.end());
  EXPECT_NE(std::find(restart.begin(), restart.end(), "rtmps.enabled"), restart.end());
}

}  // namespace
}  // namespace tidecast::core
