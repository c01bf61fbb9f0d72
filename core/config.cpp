// YAML → Config. The schema is a set of tables, one line per key (see the "schema" section):
// adding a key is adding a line, adding a section is adding a table and one line naming it.
#include "core/config.h"

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <exception>
#include <functional>
#include <initializer_list>
#include <limits>
#include <map>
#include <memory>
#include <sstream>
#include <utility>

namespace tidecast::core {
namespace {

// ---- error text ----------------------------------------------------------------------------

constexpr size_t kMaxQuotedChars = 64;  // longer values are cut in messages

// 'text' with quotes, backslashes and non-printable bytes escaped, cut at kMaxQuotedChars, so
// a hostile file cannot put control characters or megabytes into a log line.
std::string quoted(std::string_view text) {
  std::string out = "'";
  for (size_t i = 0; i < text.size() && i < kMaxQuotedChars; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '\'' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    } else {
      out += static_cast<char>(c);
    }
  }
  if (text.size() > kMaxQuotedChars) out += "...";
  return out + "'";
}

// What a node is, for "got ..." in messages.
std::string describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Sequence:
      return "a sequence";
    case YAML::NodeType::Scalar:
      return quoted(node.Scalar());
    default:
      return "null";
  }
}

// "file:line:col" (1-based); just "file" when yaml-cpp has no position.
std::string position(std::string_view file, const YAML::Mark& mark) {
  std::string out(file);
  if (mark.line >= 0 && mark.column >= 0) {
    out += ':' + std::to_string(mark.line + 1) + ':' + std::to_string(mark.column + 1);
  }
  return out;
}

// ---- binding values to fields --------------------------------------------------------------

// A node being parsed, with what an error about it must name.
struct Value {
  const YAML::Node& node;
  std::string_view file;
  std::string key;  // dotted, "" for the top level
  YAML::Mark mark;  // where errors point

  Error invalid(std::string_view expected) const {
    const std::string name = key.empty() ? "top level" : key;
    return makeError("config.invalid_value", position(file, mark) + ": " + name + ": expected " +
                                                 std::string(expected) + ", got " + describe(node));
  }
};

// Parses one value into the field it was bound to.
using FieldParser = std::function<Status(const Value&)>;

struct Field {
  std::string_view name;
  FieldParser parse;
};
using Fields = std::vector<Field>;

std::string dotted(const std::string& parent, const std::string& name) {
  return parent.empty() ? name : parent + "." + name;
}

const Field* findField(const Fields& fields, std::string_view name) {
  for (const Field& field : fields) {
    if (field.name == name) return &field;
  }
  return nullptr;
}

// Parses one mapping entry against `fields`; `seenAt` remembers each key's line for duplicates.
Status parseEntry(const Value& map, const YAML::Node& key, const YAML::Node& value,
                  const Fields& fields, std::map<std::string, int>& seenAt) {
  if (!key.IsScalar()) {
    return Value{key, map.file, map.key, key.Mark()}.invalid("a scalar key");
  }
  const std::string name = dotted(map.key, key.Scalar());
  const std::string where = position(map.file, key.Mark());
  const auto [previous, inserted] = seenAt.emplace(key.Scalar(), key.Mark().line + 1);
  if (!inserted) {
    return makeError("config.duplicate_key", where + ": duplicate key " + quoted(name) +
                                                 " (first at line " +
                                                 std::to_string(previous->second) + ")");
  }
  const Field* field = findField(fields, key.Scalar());
  if (field == nullptr) {
    return makeError("config.unknown_key", where + ": unknown key " + quoted(name));
  }
  // An empty value ("port:") has yaml-cpp's mark on the next token: point at the key instead.
  const YAML::Mark mark = value.IsNull() ? key.Mark() : value.Mark();
  return field->parse(Value{value, map.file, name, mark});
}

// A mapping whose keys are `fields`. Null (a section with every key commented out) keeps the
// defaults.
Status parseMapping(const Value& v, const Fields& fields) {
  if (v.node.IsNull()) return {};
  if (!v.node.IsMap()) return v.invalid("a mapping");
  std::map<std::string, int> seenAt;
  for (auto it = v.node.begin(); it != v.node.end(); ++it) {
    Status status = parseEntry(v, it->first, it->second, fields, seenAt);
    if (!status) return status;
  }
  return {};
}

FieldParser section(Fields fields) {
  return [fields = std::move(fields)](const Value& v) { return parseMapping(v, fields); };
}

// A scalar's text, or an "expected a scalar" error for mappings, sequences and null.
Status scalarText(const Value& v, std::string_view expected, std::string& out) {
  if (v.node.IsMap() || v.node.IsSequence()) return v.invalid("a scalar");
  if (!v.node.IsScalar()) return v.invalid(expected);
  out = v.node.Scalar();
  return {};
}

// Decimal digits only: no sign, no hex/octal, no exponent, no overflow.
bool parseDecimal(std::string_view text, uint64_t& out) {
  if (text.empty()) return false;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, out);
  return ec == std::errc() && ptr == end;  // from_chars takes no sign for unsigned types
}

// An unsigned integer in min..max (bytes, milliseconds, counts, a port).
template <class T>
FieldParser integer(T& out, uint64_t min, uint64_t max = std::numeric_limits<T>::max()) {
  return [&out, min, max](const Value& v) -> Status {
    const std::string expected =
        "an integer in " + std::to_string(min) + ".." + std::to_string(max);
    std::string scalar;
    if (Status status = scalarText(v, expected, scalar); !status) return status;
    uint64_t n = 0;
    if (!parseDecimal(scalar, n) || n < min || n > max) return v.invalid(expected);
    out = static_cast<T>(n);
    return {};
  };
}

enum class Empty { kAllowed, kRejected };

// Any scalar as a string; `empty` says whether "" is accepted.
FieldParser text(std::string& out, Empty empty) {
  return [&out, empty](const Value& v) -> Status {
    const std::string_view expected = empty == Empty::kAllowed ? "a string" : "a non-empty string";
    std::string value;
    if (Status status = scalarText(v, expected, value); !status) return status;
    if (empty == Empty::kRejected && value.empty()) return v.invalid(expected);
    out = std::move(value);
    return {};
  };
}

// One of a fixed set of names, each mapped to a value of T.
template <class T>
FieldParser oneOf(T& out, std::vector<std::pair<std::string_view, T>> choices) {
  return [&out, choices = std::move(choices)](const Value& v) -> Status {
    std::string expected = "one of ";
    for (size_t i = 0; i < choices.size(); ++i) {
      expected += (i > 0 ? "|" : "") + std::string(choices[i].first);
    }
    std::string value;
    if (Status status = scalarText(v, expected, value); !status) return status;
    for (const auto& [name, choice] : choices) {
      if (name == value) {
        out = choice;
        return {};
      }
    }
    return v.invalid(expected);
  };
}

// One of a fixed set of names, kept as the name itself.
FieldParser oneOfNames(std::string& out, std::initializer_list<std::string_view> names) {
  std::vector<std::pair<std::string_view, std::string>> choices;
  for (std::string_view name : names) choices.emplace_back(name, std::string(name));
  return oneOf(out, std::move(choices));
}

// ---- schema: one line per key --------------------------------------------------------------

constexpr uint64_t kMaxBytes = uint64_t{1} << 40;  // 1 TiB: any byte limit past this is a typo
constexpr uint64_t kMaxMillis = uint64_t{24} * 3600 * 1000;  // one day

Fields logFields(LogConfig& c) {
  return {
      {"level",
       oneOfNames(c.level, {"trace", "debug", "info", "warn", "error", "critical", "off"})},
      {"format", oneOf(c.format, {{"text", LogFormat::kText}, {"json", LogFormat::kJson}})},
  };
}

Fields httpLimitFields(HttpLimits& c) {
  return {
      {"max_header_bytes", integer(c.maxHeaderBytes, 1, kMaxBytes)},
      {"max_body_bytes", integer(c.maxBodyBytes, 1, kMaxBytes)},
      {"header_timeout_ms", integer(c.headerTimeoutMs, 1, kMaxMillis)},
      {"idle_timeout_ms", integer(c.idleTimeoutMs, 1, kMaxMillis)},
      {"max_connections", integer(c.maxConnections, 1)},
      {"max_connections_per_ip", integer(c.maxConnectionsPerIp, 1)},
      {"max_pipelined", integer(c.maxPipelined, 1)},
      {"max_response_backlog_bytes", integer(c.maxResponseBacklogBytes, 1, kMaxBytes)},
  };
}

Fields httpFields(HttpConfig& c) {
  return {
      {"listen", text(c.listen, Empty::kRejected)},
      {"port", integer(c.port, 1)},
      {"cors_allow_origin", text(c.corsAllowOrigin, Empty::kAllowed)},
      {"limits", section(httpLimitFields(c.limits))},
  };
}

Fields serverFields(ServerConfig& c) {
  return {
      {"shutdown_timeout_ms", integer(c.shutdownTimeoutMs, 0, kMaxMillis)},
  };
}

FieldParser boolean(bool& out) { return oneOf(out, {{"true", true}, {"false", false}}); }

Fields rtmpLimitFields(RtmpConfig& c) {
  return {
      {"max_chunk_size", integer(c.maxChunkSize, 128, 0x7FFFFFFF)},
      {"max_message_bytes", integer(c.maxMessageBytes, 1024, 0xFFFFFF)},
      {"max_chunk_streams", integer(c.maxChunkStreams, 1, 65599)},
      {"max_pending_bytes", integer(c.maxPendingBytes, 1024, kMaxBytes)},
  };
}

Fields rtmpFields(RtmpConfig& c) {
  return {
      {"enabled", boolean(c.enabled)},
      {"listen", text(c.listen, Empty::kRejected)},
      {"port", integer(c.port, 1)},
      {"chunk_size", integer(c.chunkSize, 128, 0xFFFFFF)},
      {"window_ack_size", integer(c.windowAckSize, 1)},
      {"connect_timeout_ms", integer(c.connectTimeoutMs, 1, kMaxMillis)},
      {"commands_per_second", integer(c.commandsPerSecond, 1)},
      {"max_connections", integer(c.maxConnections, 1)},
      {"limits", section(rtmpLimitFields(c))},
  };
}

Fields tlsListenerFields(TlsListenerConfig& c) {
  return {
      {"enabled", boolean(c.enabled)},
      {"listen", text(c.listen, Empty::kRejected)},
      {"port", integer(c.port, 1)},
      {"cert_file", text(c.certFile, Empty::kAllowed)},
      {"key_file", text(c.keyFile, Empty::kAllowed)},
      {"ciphers", text(c.ciphers, Empty::kAllowed)},
      {"ciphersuites", text(c.ciphersuites, Empty::kAllowed)},
      {"handshake_timeout_ms", integer(c.handshakeTimeoutMs, 1, kMaxMillis)},
  };
}

Fields streamsFields(StreamsConfig& c) {
  return {
      {"publisher_timeout_ms", integer(c.publisherTimeoutMs, 100, kMaxMillis)},
      {"gop_cache_max_bytes", integer(c.gopCacheMaxBytes, 0, kMaxBytes)},
      {"player_max_backlog_bytes", integer(c.playerMaxBacklogBytes, 1024, kMaxBytes)},
      {"player_max_backlog_ms", integer(c.playerMaxBacklogMs, 100, kMaxMillis)},
      {"player_write_merge_ms", integer(c.playerWriteMergeMs, 0, 1000)},
  };
}

Fields cmafFields(CmafConfig& c) {
  return {
      {"segment_target_ms", integer(c.segmentTargetMs, 500, 60000)},
      {"part_target_ms", integer(c.partTargetMs, 50, 5000)},
      {"window_segments", integer(c.windowSegments, 3, 1000)},
      {"linger_ms", integer(c.lingerMs, 0, kMaxMillis)},
      {"max_held_requests_per_stream", integer(c.maxHeldRequestsPerStream, 1)},
      {"sendfile_segments", integer(c.sendfileSegments, 0, 1000)},
  };
}

Fields dashFields(DashConfig& c) {
  return {
      {"latency_target_ms", integer(c.latencyTargetMs, 100, 60000)},
  };
}

// A list of lower-case hex SHA-256 digests.
FieldParser sha256List(std::vector<std::string>& out) {
  return [&out](const Value& v) -> Status {
    if (!v.node.IsSequence()) return v.invalid("a list of hex SHA-256 digests");
    out.clear();
    for (const auto& item : v.node) {
      const std::string text = item.IsScalar() ? item.Scalar() : std::string();
      bool hex =
          text.size() == 64 && text.find_first_not_of("0123456789abcdef") == std::string::npos;
      if (!hex) {
        return Value{item, v.file, v.key, item.Mark()}.invalid(
            "64 lower-case hex digits (tidecast --hash-token TOKEN prints them)");
      }
      out.push_back(text);
    }
    return {};
  };
}

Fields adminRateFields(AdminConfig& c) {
  return {
      {"per_ip_per_second", integer(c.perIpPerSecond, 1)},
      {"per_ip_burst", integer(c.perIpBurst, 1)},
      {"per_token_per_second", integer(c.perTokenPerSecond, 1)},
      {"per_token_burst", integer(c.perTokenBurst, 1)},
  };
}

Fields adminFields(AdminConfig& c) {
  return {
      {"enabled", boolean(c.enabled)},
      {"token_sha256", sha256List(c.tokenSha256)},
      {"read_token_sha256", sha256List(c.readTokenSha256)},
      {"token_file", text(c.tokenFile, Empty::kRejected)},
      {"rate_limit", section(adminRateFields(c))},
  };
}

Fields websocketFields(WebSocketConfig& c) {
  return {
      {"max_frame_bytes", integer(c.maxFrameBytes, 125, kMaxBytes)},
      {"max_message_bytes", integer(c.maxMessageBytes, 125, kMaxBytes)},
      {"ping_interval_ms", integer(c.pingIntervalMs, 100, kMaxMillis)},
      {"idle_timeout_ms", integer(c.idleTimeoutMs, 100, kMaxMillis)},
      {"close_timeout_ms", integer(c.closeTimeoutMs, 10, kMaxMillis)},
      {"max_send_backlog_bytes", integer(c.maxSendBacklogBytes, 1024, kMaxBytes)},
      {"max_connections", integer(c.maxConnections, 1)},
  };
}

Fields redisFields(RedisConfig& c) {
  return {
      {"host", text(c.host, Empty::kAllowed)},
      {"port", integer(c.port, 1)},
      {"connect_timeout_ms", integer(c.connectTimeoutMs, 10, kMaxMillis)},
      {"command_timeout_ms", integer(c.commandTimeoutMs, 10, kMaxMillis)},
      {"reconnect_min_ms", integer(c.reconnectMinMs, 1, kMaxMillis)},
      {"reconnect_max_ms", integer(c.reconnectMaxMs, 1, kMaxMillis)},
      {"max_in_flight", integer(c.maxInFlight, 1, 1000000)},
      {"cluster", boolean(c.cluster)},
  };
}

Fields socialFields(SocialConfig& c) {
  return {
      {"enabled", boolean(c.enabled)},
      {"store", oneOfNames(c.store, {"sqlite", "redis"})},
      {"sqlite_file", text(c.sqliteFile, Empty::kRejected)},
      {"followers_cache_ttl_s", integer(c.followersCacheTtlS, 1, 30 * 86400)},
      {"max_following", integer(c.maxFollowing, 1, 1000000)},
      {"page_size_default", integer(c.pageSizeDefault, 1, 1000)},
      {"page_size_max", integer(c.pageSizeMax, 1, 1000)},
      {"mutual_max", integer(c.mutualMax, 1, 10000)},
      {"recommendations_max", integer(c.recommendationsMax, 1, 1000)},
      {"recommendation_sources", integer(c.recommendationSources, 1, 10000)},
      {"recommendation_per_source", integer(c.recommendationPerSource, 1, 10000)},
      {"writes_per_second", integer(c.writesPerSecond, 1, 100000)},
      {"write_burst", integer(c.writeBurst, 1, 100000)},
      {"redis_followers_bucket", integer(c.redisFollowersBucket, 16, 4096)},
      {"redis_outbox_lease_ms", integer(c.redisOutboxLeaseMs, 100, 3600000)},
      {"redis_outbox_grace_ms", integer(c.redisOutboxGraceMs, 200, 3600000)},
  };
}

// The Redis outbox's times against the Redis command timeout: a dispatch round (up to four
// commands) ends inside its lease, and a write's two commands inside half the grace period.
Status checkRedisOutboxTimes(const Config& c, std::string_view file) {
  const uint64_t commandMs = c.redis.commandTimeoutMs;
  if (c.social.redisOutboxLeaseMs < 4 * commandMs) {
    return makeError("config.invalid_value",
                     std::string(file) + ": social.redis_outbox_lease_ms: expected at least " +
                         std::to_string(4 * commandMs) + " (4 x redis.command_timeout_ms)");
  }
  if (c.social.redisOutboxGraceMs < 4 * commandMs) {
    return makeError("config.invalid_value",
                     std::string(file) + ": social.redis_outbox_grace_ms: expected at least " +
                         std::to_string(4 * commandMs) + " (4 x redis.command_timeout_ms)");
  }
  return {};
}

// publish_keys: "any", or a list of non-empty keys.
FieldParser publishKeys(AppConfig& app) {
  return [&app](const Value& v) -> Status {
    const std::string_view expected = "'any' or a list of stream keys";
    if (v.node.IsScalar() && v.node.Scalar() == "any") {
      app.anyKey = true;
      app.publishKeys.clear();
      return {};
    }
    if (!v.node.IsSequence()) return v.invalid(expected);
    app.anyKey = false;
    app.publishKeys.clear();
    for (const auto& item : v.node) {
      if (!item.IsScalar() || item.Scalar().empty()) {
        return Value{item, v.file, v.key, item.Mark()}.invalid("a non-empty stream key");
      }
      app.publishKeys.push_back(item.Scalar());
    }
    return {};
  };
}

Fields appFields(AppConfig& app) {
  return {
      {"publish_keys", publishKeys(app)},
      {"on_conflict", oneOf(app.takeover, {{"reject", false}, {"takeover", true}})},
      {"playback_secret", text(app.playbackSecret, Empty::kAllowed)},
      {"playback_ttl_ms", integer(app.playbackTtlMs, 1000, uint64_t{30} * kMaxMillis)},
      {"transcode", text(app.transcode, Empty::kAllowed)},
  };
}

Fields jwtFields(JwtConfig& c) {
  return {
      {"algorithm",
       oneOf(c.algorithm, {{"hs256", JwtAlgorithm::kHs256}, {"rs256", JwtAlgorithm::kRs256}})},
      {"secret", text(c.secret, Empty::kAllowed)},
      {"public_key_file", text(c.publicKeyFile, Empty::kAllowed)},
      {"audience", text(c.audience, Empty::kAllowed)},
      {"leeway_ms", integer(c.leewayMs, 0, kMaxMillis)},
  };
}

Fields authFields(AuthConfig& c) { return {{"jwt", section(jwtFields(c.jwt))}}; }

Fields webhooksFields(WebhooksConfig& c) {
  return {
      {"on_publish", text(c.onPublish, Empty::kAllowed)},
      {"on_publish_done", text(c.onPublishDone, Empty::kAllowed)},
      {"on_play", text(c.onPlay, Empty::kAllowed)},
      {"on_play_done", text(c.onPlayDone, Empty::kAllowed)},
      {"timeout_ms", integer(c.timeoutMs, 10, 600000)},
      {"retries", integer(c.retries, 0, 10)},
      {"retry_backoff_ms", integer(c.retryBackoffMs, 0, 600000)},
      {"max_in_flight", integer(c.maxInFlight, 1, 100000)},
  };
}

bool validAppName(std::string_view name) {
  if (name.empty() || name.size() > 128 || name == "." || name == "..") return false;
  for (std::string_view reserved : kReservedAppNames) {
    if (name == reserved) return false;
  }
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

// apps: a mapping from app name to its settings. Given, it replaces the default app list.
FieldParser apps(std::vector<AppConfig>& out) {
  return [&out](const Value& v) -> Status {
    out.clear();
    if (v.node.IsNull()) return {};
    if (!v.node.IsMap()) return v.invalid("a mapping of app names");
    for (auto it = v.node.begin(); it != v.node.end(); ++it) {
      // yaml-cpp iterators yield temporaries: keep copies (Node handles), not references.
      const YAML::Node key = it->first;
      const YAML::Node value = it->second;
      Value name{key, v.file, v.key, key.Mark()};
      if (!key.IsScalar() || !validAppName(key.Scalar())) {
        return name.invalid("an app name of [A-Za-z0-9_.-], not one of the reserved routes");
      }
      for (const auto& app : out) {
        if (app.name == key.Scalar()) {
          return makeError("config.duplicate_key", position(v.file, key.Mark()) +
                                                       ": duplicate key " +
                                                       quoted(dotted(v.key, key.Scalar())));
        }
      }
      out.push_back(AppConfig{key.Scalar(), true, {}, false});
      const std::string appKey = dotted(v.key, key.Scalar());
      Value body{value, v.file, appKey, value.IsNull() ? key.Mark() : value.Mark()};
      if (Status status = parseMapping(body, appFields(out.back())); !status) return status;
    }
    return {};
  };
}

// ---- transcode ----------------------------------------------------------------------------

constexpr uint64_t kMaxBitrate = 200'000'000;  // 200 Mbit/s: anything past it is a typo

Fields renditionFields(RenditionConfig& r) {
  return {
      {"name", text(r.name, Empty::kRejected)},
      {"width", integer(r.width, 0, 8192)},
      {"height", integer(r.height, 0, 8192)},
      {"fps", integer(r.fps, 0, 240)},
      {"video_bitrate", integer(r.videoBitrate, 10000, kMaxBitrate)},
      {"maxrate", integer(r.maxrate, 0, kMaxBitrate)},
      {"bufsize", integer(r.bufsize, 0, 2 * kMaxBitrate)},
      {"profile", oneOfNames(r.profile, {"baseline", "main", "high"})},
      {"preset", oneOfNames(r.preset, {"ultrafast", "superfast", "veryfast", "faster", "fast",
                                       "medium", "slow", "slower", "veryslow"})},
      {"bframes", integer(r.bframes, 0, 4)},
  };
}

// A rung name becomes a stream name part and a URL segment next to the track names.
bool validRenditionName(std::string_view name) {
  if (!validAppName(name) || name == "video" || name == "audio" || name == "index") return false;
  return true;
}

FieldParser renditions(std::vector<RenditionConfig>& out) {
  return [&out](const Value& v) -> Status {
    if (!v.node.IsSequence()) return v.invalid("a list of renditions");
    out.clear();
    for (const auto& item : v.node) {
      Value entry{item, v.file, v.key, item.Mark()};
      out.emplace_back();
      if (Status status = parseMapping(entry, renditionFields(out.back())); !status) return status;
      if (!validRenditionName(out.back().name)) {
        return entry.invalid("a rendition with a name of [A-Za-z0-9_.-] other than video/audio");
      }
      for (size_t i = 0; i + 1 < out.size(); ++i) {
        if (out[i].name == out.back().name) return entry.invalid("a rendition name used once");
      }
    }
    return {};
  };
}

// ladders: a mapping from ladder name to {source, renditions}.
FieldParser ladders(std::vector<LadderConfig>& out) {
  return [&out](const Value& v) -> Status {
    out.clear();
    if (v.node.IsNull()) return {};
    if (!v.node.IsMap()) return v.invalid("a mapping of ladder names");
    for (auto it = v.node.begin(); it != v.node.end(); ++it) {
      const YAML::Node key = it->first;
      const YAML::Node value = it->second;
      if (!key.IsScalar() || key.Scalar().empty()) {
        return Value{key, v.file, v.key, key.Mark()}.invalid("a ladder name");
      }
      out.push_back(LadderConfig{key.Scalar(), true, {}});
      LadderConfig& ladder = out.back();
      Value body{value, v.file, dotted(v.key, key.Scalar()),
                 value.IsNull() ? key.Mark() : value.Mark()};
      Fields fields{{"source", boolean(ladder.source)},
                    {"renditions", renditions(ladder.renditions)}};
      if (Status status = parseMapping(body, fields); !status) return status;
    }
    return {};
  };
}

Fields transcodeFields(TranscodeConfig& c) {
  return {
      {"workers", integer(c.workers, 1, 256)},
      {"max_queue_frames", integer(c.maxQueueFrames, 2, 10000)},
      {"encoder_threads", integer(c.encoderThreads, 0, 64)},
      {"max_jobs", integer(c.maxJobs, 0, 10000)},
      {"audio_bitrate", integer(c.audioBitrate, 16000, 512000)},
      {"ladders", ladders(c.ladders)},
  };
}

// Every app's transcode names a ladder that exists.
Status checkLadderReferences(const Config& c, std::string_view file) {
  for (const AppConfig& app : c.apps) {
    if (app.transcode.empty()) continue;
    bool found = false;
    for (const LadderConfig& ladder : c.transcode.ladders) found |= ladder.name == app.transcode;
    if (!found) {
      return makeError("config.invalid_value", std::string(file) + ": apps." + app.name +
                                                   ".transcode: no ladder named " +
                                                   quoted(app.transcode) + " in transcode.ladders");
    }
  }
  return {};
}

// ---- srt ------------------------------------------------------------------------------------

constexpr size_t kSrtPassphraseMin = 10;  // libsrt's limits on SRTO_PASSPHRASE
constexpr size_t kSrtPassphraseMax = 79;

FieldParser srtPassphrase(std::string& out) {
  return [&out](const Value& v) -> Status {
    const std::string_view expected = "a passphrase of 10..79 characters, or \"\"";
    std::string value;
    if (Status status = scalarText(v, expected, value); !status) return status;
    if (!value.empty() && (value.size() < kSrtPassphraseMin || value.size() > kSrtPassphraseMax)) {
      return v.invalid(expected);
    }
    out = std::move(value);
    return {};
  };
}

// srt.apps: app name -> { passphrase }.
FieldParser srtApps(std::vector<std::pair<std::string, std::string>>& out) {
  return [&out](const Value& v) -> Status {
    out.clear();
    if (v.node.IsNull()) return {};
    if (!v.node.IsMap()) return v.invalid("a mapping of app names");
    std::map<std::string, int> seenAt;
    for (auto it = v.node.begin(); it != v.node.end(); ++it) {
      const YAML::Node key = it->first;
      const YAML::Node value = it->second;
      if (!key.IsScalar() || !validAppName(key.Scalar())) {
        return Value{key, v.file, v.key, key.Mark()}.invalid("an app name");
      }
      out.emplace_back(key.Scalar(), "");
      Fields fields{{"passphrase", srtPassphrase(out.back().second)}};
      Status status = parseEntry(v, key, value, {{key.Scalar(), section(fields)}}, seenAt);
      if (!status) return status;
    }
    return {};
  };
}

Fields srtFields(SrtConfig& c) {
  return {
      {"enabled", boolean(c.enabled)},
      {"listen", text(c.listen, Empty::kRejected)},
      {"port", integer(c.port, 1)},
      {"latency_ms", integer(c.latencyMs, 20, 60000)},
      {"max_bandwidth", integer(c.maxBandwidth, 0, kMaxBytes)},
      {"passphrase", srtPassphrase(c.passphrase)},
      {"pbkeylen", oneOf<uint32_t>(c.pbkeylen, {{"16", 16}, {"24", 24}, {"32", 32}})},
      {"apps", srtApps(c.appPassphrases)},
      {"max_connections", integer(c.maxConnections, 1, 100000)},
      {"receive_queue_bytes", integer(c.receiveQueueBytes, 64 * 1024, kMaxBytes)},
      {"loop_queue_packets", integer(c.loopQueuePackets, 64, 10000000)},
      {"handshake_timeout_ms", integer(c.handshakeTimeoutMs, 10, 60000)},
      {"stats_interval_ms", integer(c.statsIntervalMs, 100, kMaxMillis)},
  };
}

Fields configFields(Config& c) {
  return {
      {"data_dir", text(c.dataDir, Empty::kRejected)},
      {"log", section(logFields(c.log))},
      {"http", section(httpFields(c.http))},
      {"server", section(serverFields(c.server))},
      {"rtmp", section(rtmpFields(c.rtmp))},
      {"apps", apps(c.apps)},
      {"https", section(tlsListenerFields(c.https))},
      {"rtmps", section(tlsListenerFields(c.rtmps))},
      {"streams", section(streamsFields(c.streams))},
      {"auth", section(authFields(c.auth))},
      {"webhooks", section(webhooksFields(c.webhooks))},
      {"cmaf", section(cmafFields(c.cmaf))},
      {"dash", section(dashFields(c.dash))},
      {"admin", section(adminFields(c.admin))},
      {"websocket", section(websocketFields(c.websocket))},
      {"srt", section(srtFields(c.srt))},
      {"redis", section(redisFields(c.redis))},
      {"social", section(socialFields(c.social))},
      {"transcode", section(transcodeFields(c.transcode))},
  };
}

// ---- documents -----------------------------------------------------------------------------

// Records where each document starts; ignores the rest.
class DocumentStarts : public YAML::EventHandler {
 public:
  std::vector<YAML::Mark> marks;

  void OnDocumentStart(const YAML::Mark& mark) override { marks.push_back(mark); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

// Checks the text holds at most one document. yaml-cpp 0.7 does not consume a stray flow
// token (",", or "!t," after a tag) and reports an endless run of empty documents starting on
// it (the reason YAML::LoadAll never returns on such input): a document starting where the
// previous one did is that token, reported as a syntax error.
Status checkSingleDocument(const std::string& yaml, std::string_view file) {
  std::istringstream in(yaml);
  YAML::Parser parser(in);
  DocumentStarts starts;
  while (starts.marks.size() < 3 && parser.HandleNextDocument(starts)) {
    const std::vector<YAML::Mark>& m = starts.marks;
    if (m.size() >= 2 && m[m.size() - 1].pos == m[m.size() - 2].pos) {
      const YAML::Mark at = m.back();
      const auto pos = static_cast<size_t>(at.pos);
      return makeError("config.syntax", position(file, at) + ": unexpected " +
                                            quoted(pos < yaml.size() ? yaml.substr(pos, 1) : ""));
    }
  }
  if (starts.marks.size() > 1) {
    return makeError("config.syntax", position(file, starts.marks[1]) +
                                          ": expected one YAML document, found another");
  }
  return {};
}

// The YAML text as a node tree: null for an empty document, an error for bad syntax or for
// more than one document.
Result<YAML::Node> loadDocument(std::string_view yamlText, std::string_view file) {
  const std::string yaml(yamlText);
  try {
    if (Status status = checkSingleDocument(yaml, file); !status) return status.error();
    return YAML::Load(yaml);
  } catch (const YAML::DeepRecursion& e) {  // its own message is just "bad file"
    return makeError("config.syntax", position(file, e.mark) + ": nested too deeply");
  } catch (const YAML::Exception& e) {
    return makeError("config.syntax", position(file, e.mark) + ": " + e.msg);
  }
}

Result<Config> parseDocument(std::string_view yamlText, std::string_view file) {
  Result<YAML::Node> root = loadDocument(yamlText, file);
  if (!root) return root.error();
  Config config;
  config.sourcePath = std::string(file);
  Status status = parseMapping(Value{*root, file, "", root->Mark()}, configFields(config));
  if (!status) return status.error();
  if (Status refs = checkLadderReferences(config, file); !refs) return refs.error();
  if (Status times = checkRedisOutboxTimes(config, file); !times) return times.error();
  return config;
}

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

}  // namespace

Result<Config> parseConfig(std::string_view yamlText, std::string_view sourceName) {
  const std::string_view file = sourceName.empty() ? "<config>" : sourceName;
  try {
    return parseDocument(yamlText, file);
  } catch (const YAML::Exception& e) {
    return makeError("config.syntax", position(file, e.mark) + ": " + e.msg);
  } catch (const std::exception& e) {
    return makeError("config.syntax", std::string(file) + ": " + e.what());
  }
}

Result<Config> loadConfigFile(const std::string& path) {
  errno = 0;
  std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
  if (!file) return makeError("config.io", path + ": cannot read: " + std::strerror(errno));
  std::string yaml;
  char buffer[8192];
  size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, file.get())) > 0) yaml.append(buffer, n);
  if (std::ferror(file.get())) {
    return makeError("config.io", path + ": cannot read: " + std::strerror(errno));
  }
  return parseConfig(yaml, path);
}

std::vector<std::string> applyReload(Config& live, const Config& fresh) {
  std::vector<std::string> needRestart;
  auto restartIfChanged = [&needRestart](bool changed, const char* key) {
    if (changed) needRestart.emplace_back(key);
  };
  restartIfChanged(live.dataDir != fresh.dataDir, "data_dir");
  restartIfChanged(live.http.listen != fresh.http.listen, "http.listen");
  restartIfChanged(live.http.port != fresh.http.port, "http.port");

  restartIfChanged(live.rtmp != fresh.rtmp, "rtmp");
  // TLS listeners: the address needs a restart; certificate, key, ciphers, timeout reload.
  auto reloadTls = [&restartIfChanged](TlsListenerConfig& running, const TlsListenerConfig& next,
                                       const char* key) {
    restartIfChanged(running.enabled != next.enabled || running.listen != next.listen ||
                         running.port != next.port,
                     key);
    TlsListenerConfig reloaded = next;
    reloaded.enabled = running.enabled;
    reloaded.listen = running.listen;
    reloaded.port = running.port;
    running = std::move(reloaded);
  };
  reloadTls(live.https, fresh.https, "https");
  reloadTls(live.rtmps, fresh.rtmps, "rtmps");
  restartIfChanged(live.srt != fresh.srt, "srt");
  restartIfChanged(live.cmaf != fresh.cmaf, "cmaf");
  restartIfChanged(live.dash != fresh.dash, "dash");
  restartIfChanged(live.transcode != fresh.transcode, "transcode");

  live.log = fresh.log;
  live.apps = fresh.apps;
  restartIfChanged(live.auth != fresh.auth, "auth");  // verifiers are built at start
  live.webhooks = fresh.webhooks;                     // URLs and timeouts apply to the next request
  live.streams = fresh.streams;
  live.websocket = fresh.websocket;
  live.http.limits = fresh.http.limits;
  live.http.corsAllowOrigin = fresh.http.corsAllowOrigin;
  live.server = fresh.server;  // read when a shutdown starts
  live.admin = fresh.admin;    // tokens and rate limits apply to the next request
  restartIfChanged(live.redis != fresh.redis, "redis");  // the connection is opened at start
  restartIfChanged(live.social != fresh.social, "social");
  return needRestart;
}

}  // namespace tidecast::core
