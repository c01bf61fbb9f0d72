// Typed configuration, read from one YAML file (conf/tidecast.yaml documents every key).
//
// parseConfig/loadConfigFile never throw: every problem comes back as an Error whose message
// names the file, line, column and dotted key ("conf/x.yaml:4:3: unknown key 'http.prot'"),
// with a stable code:
//   config.io             the file is missing or unreadable
//   config.syntax         the text is not YAML (or holds more than one document)
//   config.unknown_key    a key the schema does not know (typos are errors, never ignored)
//   config.duplicate_key  the same key twice in one mapping
//   config.invalid_value  wrong type, out of range, not one of the allowed names
// A missing key keeps its built-in default; an empty document gives all defaults.
//
// Plain values, no threads: the server loads a Config at start and on SIGHUP, and hands the
// sections to whoever needs them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace tidecast::core {

enum class LogFormat { kText, kJson };

struct LogConfig {
  std::string level = "info";  // trace|debug|info|warn|error|critical|off
  LogFormat format = LogFormat::kText;
};

struct HttpLimits {
  size_t maxHeaderBytes = 16 * 1024;                 // 431 past it
  size_t maxBodyBytes = 1024 * 1024;                 // 413 past it
  uint32_t headerTimeoutMs = 10000;                  // whole request head must arrive within this
  uint32_t idleTimeoutMs = 60000;                    // keep-alive idle
  uint32_t maxConnections = 10000;                   // accepted connections, all clients
  uint32_t maxConnectionsPerIp = 1000;               // accepted connections from one address
  uint32_t maxPipelined = 16;                        // requests parsed ahead of responses
  size_t maxResponseBacklogBytes = 8 * 1024 * 1024;  // unsent bytes per connection before drop
};

struct HttpConfig {
  std::string listen = "0.0.0.0";
  uint16_t port = 8080;
  HttpLimits limits;
  std::string corsAllowOrigin = "*";  // Access-Control-Allow-Origin; "" sends none
};

struct ServerConfig {
  uint32_t shutdownTimeoutMs = 5000;  // graceful drain on SIGTERM/SIGINT before closing hard
};

struct RtmpConfig {
  bool enabled = true;
  std::string listen = "0.0.0.0";
  uint16_t port = 1935;
  uint32_t chunkSize = 60000;        // our outgoing chunk size
  uint32_t windowAckSize = 2500000;  // Window Acknowledgement Size we announce
  uint32_t connectTimeoutMs = 10000;
  uint32_t commandsPerSecond = 50;
  uint32_t maxConnections = 5000;
  // Limits on what a client sends.
  uint32_t maxChunkSize = 65536;
  uint32_t maxMessageBytes = 0xFFFFFF;  // the most a 24-bit RTMP length can say
  uint32_t maxChunkStreams = 64;
  size_t maxPendingBytes = 64 * 1024 * 1024;

  bool operator==(const RtmpConfig&) const = default;
};

// A TLS listener (https:, rtmps:): the same handlers as its plain twin. Certificate, key,
// ciphers and the handshake timeout reload on SIGHUP (a file that fails to load keeps the
// running certificate); enabled/listen/port need a restart.
struct TlsListenerConfig {
  bool enabled = false;
  std::string listen = "0.0.0.0";
  uint16_t port = 0;
  std::string certFile{};      // PEM chain, leaf first
  std::string keyFile{};       // PEM private key
  std::string ciphers{};       // TLS 1.2 cipher list ("" = OpenSSL's default)
  std::string ciphersuites{};  // TLS 1.3 suites ("" = OpenSSL's default)
  uint32_t handshakeTimeoutMs = 10000;
  bool operator==(const TlsListenerConfig&) const = default;
};

// An application: the first path segment of rtmp://host/{app}/{key} and /{app}/{key}/...
struct AppConfig {
  std::string name;
  bool anyKey = true;                    // publish_keys: any
  std::vector<std::string> publishKeys;  // publish_keys: [k1, k2]
  bool takeover = false;                 // on_conflict: takeover | reject
  // Signed playback URLs (api/auth/signed_url.h): when set, every viewer request of this app
  // must carry ?expires=<unix s>&signature=<HMAC-SHA256>; "" leaves playback open.
  std::string playbackSecret{};
  uint32_t playbackTtlMs = 3600000;  // longest validity accepted (and --sign-url's default)
  std::string transcode{};           // name of a transcode.ladders entry ("" = no ABR ladder)
};

// End-user auth (api/auth): JWTs the social plug-ins accept.
enum class JwtAlgorithm { kHs256, kRs256 };
struct JwtConfig {
  JwtAlgorithm algorithm = JwtAlgorithm::kHs256;
  std::string secret;                 // HS256 shared secret ("" disables end-user auth)
  std::string publicKeyFile;          // RS256: PEM public key
  std::string audience = "tidecast";  // must be in the token's aud ("" skips the check)
  uint32_t leewayMs = 30000;          // clock skew allowed on exp/nbf/iat
  bool operator==(const JwtConfig&) const = default;
};
struct AuthConfig {
  JwtConfig jwt;
  bool operator==(const AuthConfig&) const = default;
};

// Outgoing webhooks (api/webhooks). An empty URL disables that hook.
struct WebhooksConfig {
  std::string onPublish;          // gates publishing: 2xx allows (may rename), else denies
  std::string onPublishDone;      // notify
  std::string onPlay;             // gates RTMP and HTTP-FLV players: 2xx allows, else denies
  std::string onPlayDone;         // notify
  uint32_t timeoutMs = 3000;      // per attempt
  uint32_t retries = 1;           // extra attempts after a transport error, timeout or 5xx
  uint32_t retryBackoffMs = 500;  // doubled after each retry
  uint32_t maxInFlight = 256;     // requests at once; past it a gating hook denies
};

struct StreamsConfig {
  uint32_t publisherTimeoutMs = 10000;
  size_t gopCacheMaxBytes = 32 * 1024 * 1024;
  size_t playerMaxBacklogBytes = 4 * 1024 * 1024;
  uint32_t playerMaxBacklogMs = 5000;
  uint32_t playerWriteMergeMs = 100;  // RTMP/HTTP-FLV viewers' writes merged for up to this long
};

// CMAF packaging for LL-HLS and LL-DASH (delivery/cmaf).
struct CmafConfig {
  uint32_t segmentTargetMs = 2000;
  uint32_t partTargetMs = 200;
  uint32_t windowSegments = 12;
  uint32_t lingerMs = 30000;
  uint32_t maxHeldRequestsPerStream = 20000;
  uint32_t sendfileSegments = 3;
  bool operator==(const CmafConfig&) const = default;
};

struct DashConfig {
  uint32_t latencyTargetMs = 1000;
  bool operator==(const DashConfig&) const = default;
};

// The admin REST API (api/admin).
struct AdminConfig {
  bool enabled = true;
  // Hex SHA-256 of bearer tokens: full access, and read-only (GET) access. When both are
  // empty the server generates one full-access token into `<data_dir>/<token_file>`.
  std::vector<std::string> tokenSha256;
  std::vector<std::string> readTokenSha256;
  std::string tokenFile = "admin-token";
  // Token buckets: requests per second and burst, per client address and per token.
  uint32_t perIpPerSecond = 20;
  uint32_t perIpBurst = 60;
  uint32_t perTokenPerSecond = 50;
  uint32_t perTokenBurst = 200;
};

// WebSocket connections (api/websocket_*). Every key reloads on SIGHUP: open connections use
// the new values from their next frame or timer on.
struct WebSocketConfig {
  size_t maxFrameBytes = 1024 * 1024;        // payload of one client frame; close 1009 past it
  size_t maxMessageBytes = 1024 * 1024;      // reassembled message; close 1009 past it
  uint32_t pingIntervalMs = 30000;           // our pings to each client
  uint32_t idleTimeoutMs = 75000;            // no frame from the client: close 1001
  uint32_t closeTimeoutMs = 5000;            // wait for the peer's close / TCP end, then drop
  size_t maxSendBacklogBytes = 1024 * 1024;  // unsent bytes per connection; close 1008 past it
  uint32_t maxConnections = 10000;           // open WebSocket connections; 503 past it
};

// One rung of an ABR ladder (core/transcode): an H.264 rendition encoded with libx264.
struct RenditionConfig {
  std::string name;                 // the rung's stream "app/key/<name>" and its URL segment
  uint32_t width = 0;               // 0: from height, keeping the source's aspect ratio
  uint32_t height = 0;              // 0: from width; both 0: the source's size
  uint32_t fps = 0;                 // 0: the source's frame rate
  uint32_t videoBitrate = 1000000;  // bits/s (x264 ABR target)
  uint32_t maxrate = 0;             // VBV bits/s; 0: video_bitrate
  uint32_t bufsize = 0;             // VBV bits; 0: maxrate (one second)
  std::string profile = "main";     // baseline | main | high: the highest libx264 may use
  std::string preset = "veryfast";
  uint32_t bframes = 0;  // B-frames (0 keeps latency lowest)
  bool operator==(const RenditionConfig&) const = default;
};

struct LadderConfig {
  std::string name;
  bool source = true;  // the source itself is a variant too (passthrough)
  std::vector<RenditionConfig> renditions;
  bool operator==(const LadderConfig&) const = default;
};

// In-process transcoding (core/transcode): a worker pool shared by every job.
struct TranscodeConfig {
  uint32_t workers = 2;            // worker threads
  uint32_t maxQueueFrames = 60;    // frames waiting per job; past it frames are dropped
  uint32_t encoderThreads = 1;     // libx264 threads per rendition encoder
  uint32_t maxJobs = 8;            // jobs at once; streams past it are not transcoded
  uint32_t audioBitrate = 128000;  // AAC-LC bits/s when the source's audio is not AAC
  std::vector<LadderConfig> ladders;
  bool operator==(const TranscodeConfig&) const = default;
};

// SRT ingest and playback (ingest/srt). enabled/listen/port and the link options need a
// restart; the rest is read at start too.
struct SrtConfig {
  bool enabled = true;
  std::string listen = "0.0.0.0";
  uint16_t port = 9000;
  uint32_t latencyMs = 120;   // SRTO_LATENCY
  uint64_t maxBandwidth = 0;  // SRTO_MAXBW bytes/s; 0 = libsrt's default (no limit)
  std::string passphrase{};   // 10..79 characters, "" = no encryption
  uint32_t pbkeylen = 16;     // 16 | 24 | 32 (AES-128/192/256)
  std::vector<std::pair<std::string, std::string>> appPassphrases{};  // apps.<name>.passphrase
  uint32_t maxConnections = 1000;
  size_t receiveQueueBytes = 8 * 1024 * 1024;  // per publisher, ahead of its demuxer
  uint32_t loopQueuePackets = 16384;           // demuxed packets waiting for the loop
  uint32_t handshakeTimeoutMs = 1000;          // the loop's answer to a handshake check
  uint32_t statsIntervalMs = 1000;             // link statistics sampling
  bool operator==(const SrtConfig&) const = default;
};

// Redis (social/store): the shared follow graph store, or the followers cache in front of
// SQLite. An empty host leaves Redis unused.
struct RedisConfig {
  std::string host;
  uint16_t port = 6379;
  uint32_t connectTimeoutMs = 2000;
  uint32_t commandTimeoutMs = 2000;  // oldest reply overdue: the connection is reopened
  uint32_t reconnectMinMs = 100;     // first retry; doubled up to reconnectMaxMs
  uint32_t reconnectMaxMs = 5000;
  uint32_t maxInFlight = 10000;  // commands awaiting a reply; past it they fail at once
  bool cluster = false;          // Redis Cluster: host/port is the seed node
  bool operator==(const RedisConfig&) const = default;
};

// The social graph (social/graph) and its store (social/store).
struct SocialConfig {
  bool enabled = true;
  std::string store = "sqlite";          // "sqlite" (embedded) or "redis" (shared)
  std::string sqliteFile = "social.db";  // under data_dir
  uint32_t followersCacheTtlS = 86400;   // with store sqlite and redis.host set
  uint32_t maxFollowing = 5000;          // follows one user may hold
  uint32_t pageSizeDefault = 20;
  uint32_t pageSizeMax = 100;
  uint32_t mutualMax = 100;  // mutual follows returned
  uint32_t recommendationsMax = 50;
  uint32_t recommendationSources = 100;    // newest followees whose follows are scanned
  uint32_t recommendationPerSource = 100;  // newest follows read from each of them
  uint32_t writesPerSecond = 5;            // per user: follow, unfollow, block, unblock
  uint32_t writeBurst = 30;
  // The Redis store (store: redis): followers per sorted set before it splits into buckets,
  // the dispatcher's lease on a user's outbox, and how long a pending user waits for the sweep.
  uint32_t redisFollowersBucket = 128;
  uint32_t redisOutboxLeaseMs = 15000;
  uint32_t redisOutboxGraceMs = 30000;
  bool operator==(const SocialConfig&) const = default;
};

// Names that are routes of their own and cannot be app names.
inline constexpr std::string_view kReservedAppNames[] = {"api",    "ws",      "watch",   "admin",
                                                         "assets", "healthz", "metrics", "time"};

struct Config {
  std::string sourcePath;  // file it was loaded from ("" for built-in defaults)
  std::string dataDir = "data";
  LogConfig log;
  HttpConfig http;
  TlsListenerConfig https{.port = 8443};
  ServerConfig server;
  RtmpConfig rtmp;
  TlsListenerConfig rtmps{.port = 1936};
  std::vector<AppConfig> apps{AppConfig{"live", true, {}, false}};
  AuthConfig auth;
  WebhooksConfig webhooks;
  StreamsConfig streams;
  CmafConfig cmaf;
  DashConfig dash;
  AdminConfig admin;
  WebSocketConfig websocket;
  RedisConfig redis;
  SocialConfig social;
  SrtConfig srt;
  TranscodeConfig transcode;
};

// Parses a YAML document. `sourceName` names the text in error messages and becomes
// Config::sourcePath.
Result<Config> parseConfig(std::string_view yamlText, std::string_view sourceName);

// Reads and parses `path`. A missing or unreadable file is a config.io error naming it.
Result<Config> loadConfigFile(const std::string& path);

// SIGHUP reload: copies the reloadable subset (log.*, http.limits.*, http.cors_allow_origin,
// the TLS listeners' certificates, keys, ciphers and handshake timeouts,
// server.*) from `fresh` into `live`. Keys that changed but only take effect after a restart keep
// their running value in `live` and are returned, dotted ("http.port"), so the caller can warn.
std::vector<std::string> applyReload(Config& live, const Config& fresh);

}  // namespace tidecast::core
