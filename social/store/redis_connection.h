// One asynchronous connection to one Redis node (hiredis with its libuv adapter): commands
// are sent at once and answered through a callback on the loop thread; nothing ever waits.
// Reconnects by itself with exponential backoff (reconnectMinMs doubling to reconnectMaxMs).
// While it is down, commands fail at once with social.store_unavailable (never queued), and
// so do the commands in flight when the connection drops or the oldest of them exceeds
// commandTimeoutMs (the connection is then dropped and reopened). Commands in flight are
// bounded by maxInFlight. Loop thread only. RedisClient owns one per node; callers use
// RedisClient.
#pragma once

#include <spdlog/logger.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/loop.h"
#include "core/result.h"
#include "social/store/redis_config.h"

struct redisAsyncContext;

namespace tidecast::social::store {

// A reply, copied out of hiredis's reply object.
struct RedisValue {
  enum class Type { kNil, kString, kInteger, kArray, kStatus, kError };
  Type type = Type::kNil;
  std::string text;  // string, status, error
  int64_t integer = 0;
  std::vector<RedisValue> elements;

  bool isNil() const { return type == Type::kNil; }
};

// The integer of an integer reply, 0 otherwise.
int64_t integerOf(const RedisValue& value);

// social.store_unavailable, "redis: <why>".
core::Error redisUnavailable(std::string_view why);

class RedisConnection {
 public:
  using Command = std::vector<std::string>;
  // The reply as Redis sent it (an error reply is a kError value); a social.store_unavailable
  // error when it was never sent or the connection dropped before the reply.
  using Reply = std::function<void(core::Result<RedisValue>)>;

  // Connects to settings.host:settings.port (the other settings as they say).
  RedisConnection(core::Loop& loop, const RedisConfig& settings, spdlog::logger& log);
  ~RedisConnection();  // replies still due are dropped, their callbacks never run
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // Starts connecting (and keeps reconnecting until destroyed).
  void start();
  bool connected() const { return connected_; }
  const std::string& host() const { return settings_.host; }
  uint16_t port() const { return settings_.port; }
  const std::string& address() const { return address_; }  // "host:port"
  // Called on every change of connected().
  void onStateChange(std::function<void(bool connected)> fn) { stateChange_ = std::move(fn); }

  void send(const Command& args, Reply done);

  uint64_t reconnects() const { return reconnects_; }

 private:
  struct Pending;
  static void onConnect(const redisAsyncContext* context, int status);
  static void onDisconnect(const redisAsyncContext* context, int status);
  static void onReply(redisAsyncContext* context, void* reply, void* privdata);
  void connect();
  void lost(const char* why);
  void scheduleReconnect();
  void checkTimeouts();
  void setConnected(bool up);

  core::Loop& loop_;
  RedisConfig settings_;
  std::string address_;
  spdlog::logger& log_;
  redisAsyncContext* context_ = nullptr;
  bool connected_ = false;
  bool closing_ = false;
  uint32_t backoffMs_ = 0;
  core::Timer reconnectTimer_;
  core::Timer watchdog_;  // connect timeout and command timeouts
  uint64_t connectStartedMs_ = 0;
  std::deque<uint64_t> sentAtMs_;  // replies come in order: the front is the oldest in flight
  uint64_t reconnects_ = 0;
  std::function<void(bool)> stateChange_;
};

}  // namespace tidecast::social::store
