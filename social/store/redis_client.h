// One asynchronous Redis connection on the loop (hiredis with its libuv adapter): commands are
// sent at once and answered through a callback on the loop thread; nothing ever waits.
// Reconnects by itself with exponential backoff (reconnectMinMs doubling to reconnectMaxMs).
// While it is down, commands fail at once with social.store_unavailable (never queued), and
// so do the commands in flight when the connection drops or the oldest of them exceeds
// commandTimeoutMs (the connection is then dropped and reopened). Commands in flight are
// bounded by maxInFlight. Loop thread only. Social plug-ins share one client per process.
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

struct RedisSettings {
  std::string host = "127.0.0.1";
  uint16_t port = 6379;
  uint32_t connectTimeoutMs = 2000;
  uint32_t commandTimeoutMs = 2000;
  uint32_t reconnectMinMs = 100;
  uint32_t reconnectMaxMs = 5000;
  uint32_t maxInFlight = 10000;
};

class RedisClient {
 public:
  using Command = std::vector<std::string>;
  using Callback = std::function<void(core::Result<RedisValue>)>;
  using PipelineCallback = std::function<void(core::Result<std::vector<RedisValue>>)>;

  RedisClient(core::Loop& loop, RedisSettings settings, spdlog::logger& log);
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  // Starts connecting (and keeps reconnecting until destroyed).
  void start();
  bool connected() const { return connected_; }
  core::Loop& loop() { return loop_; }
  // Called on every change of connected() (a cache flushing what it missed while down).
  void onStateChange(std::function<void(bool connected)> fn) { stateChange_ = std::move(fn); }

  // One command; an error reply is a social.store error.
  void command(Command args, Callback done);
  // Several commands sent back to back; done gets every reply in order, or the first error.
  void pipeline(std::vector<Command> commands, PipelineCallback done);

  uint64_t reconnects() const { return reconnects_; }
  uint64_t failures() const { return failures_; }  // commands answered with an error

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
  RedisSettings settings_;
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
  uint64_t failures_ = 0;
  std::function<void(bool)> stateChange_;
};

// The integer of an integer reply, 0 otherwise.
int64_t integerOf(const RedisValue& value);

}  // namespace tidecast::social::store
