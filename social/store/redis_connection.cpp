#include "social/store/redis_connection.h"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wpedantic"
#include <hiredis/adapters/libuv.h>
#pragma GCC diagnostic pop

#include <algorithm>

namespace tidecast::social::store {

namespace {

constexpr uint32_t kWatchdogMinMs = 50;  // how often timeouts are checked, at least

RedisValue copyReply(const redisReply* reply) {
  RedisValue value;
  switch (reply->type) {
    case REDIS_REPLY_STRING:
      value.type = RedisValue::Type::kString;
      value.text.assign(reply->str, reply->len);
      break;
    case REDIS_REPLY_STATUS:
      value.type = RedisValue::Type::kStatus;
      value.text.assign(reply->str, reply->len);
      break;
    case REDIS_REPLY_ERROR:
      value.type = RedisValue::Type::kError;
      value.text.assign(reply->str, reply->len);
      break;
    case REDIS_REPLY_INTEGER:
      value.type = RedisValue::Type::kInteger;
      value.integer = reply->integer;
      break;
    case REDIS_REPLY_ARRAY:
      value.type = RedisValue::Type::kArray;
      value.elements.reserve(reply->elements);
      for (size_t i = 0; i < reply->elements; ++i) {
        value.elements.push_back(copyReply(reply->element[i]));
      }
      break;
    default:
      break;
  }
  return value;
}

// The libuv poll handle hiredis's adapter opened: unreferenced so an idle Redis connection
// does not keep a stopping server's loop alive.
void unrefPoll(redisAsyncContext* context) {
  auto* events = static_cast<redisLibuvEvents*>(context->ev.data);
  if (events != nullptr) uv_unref(reinterpret_cast<uv_handle_t*>(&events->handle));
}

}  // namespace

int64_t integerOf(const RedisValue& value) {
  return value.type == RedisValue::Type::kInteger ? value.integer : 0;
}

core::Error redisUnavailable(std::string_view why) {
  return core::makeError("social.store_unavailable", "redis: " + std::string(why));
}

struct RedisConnection::Pending {
  RedisConnection* connection;
  Reply done;
};

RedisConnection::RedisConnection(core::Loop& loop, const RedisConfig& settings, spdlog::logger& log)
    : loop_(loop),
      settings_(settings),
      address_(settings.host + ":" + std::to_string(settings.port)),
      log_(log),
      reconnectTimer_(loop),
      watchdog_(loop) {}

RedisConnection::~RedisConnection() {
  closing_ = true;
  if (context_ != nullptr) {
    redisAsyncContext* context = context_;
    context_ = nullptr;
    redisAsyncFree(context);  // pending callbacks see closing_ and only free their data
  }
}

void RedisConnection::start() {
  uint32_t tick = std::max(kWatchdogMinMs,
                           std::min(settings_.commandTimeoutMs, settings_.connectTimeoutMs) / 4);
  watchdog_.start(tick, tick, [this] { checkTimeouts(); });
  uv_unref(reinterpret_cast<uv_handle_t*>(watchdog_.raw()));
  connect();
}

void RedisConnection::connect() {
  redisAsyncContext* context = redisAsyncConnect(settings_.host.c_str(), settings_.port);
  if (context == nullptr || context->err) {
    log_.warn("redis.connect_failed host={} port={} error=\"{}\"", settings_.host, settings_.port,
              context ? context->errstr : "out of memory");
    if (context) redisAsyncFree(context);
    scheduleReconnect();
    return;
  }
  context->data = this;
  redisLibuvAttach(context, loop_.raw());
  unrefPoll(context);
  redisAsyncSetConnectCallback(context, &RedisConnection::onConnect);
  redisAsyncSetDisconnectCallback(context, &RedisConnection::onDisconnect);
  context_ = context;
  connectStartedMs_ = loop_.nowMs();
}

void RedisConnection::onConnect(const redisAsyncContext* context, int status) {
  auto* self = static_cast<RedisConnection*>(context->data);
  if (self == nullptr || self->closing_) return;
  if (status != REDIS_OK) {
    // hiredis frees the context after this callback.
    self->log_.warn("redis.connect_failed host={} port={} error=\"{}\"", self->settings_.host,
                    self->settings_.port, context->errstr);
    self->context_ = nullptr;
    self->scheduleReconnect();
    return;
  }
  self->log_.info("redis.connected host={} port={}", self->settings_.host, self->settings_.port);
  self->backoffMs_ = 0;
  self->setConnected(true);
}

void RedisConnection::onDisconnect(const redisAsyncContext* context, int status) {
  auto* self = static_cast<RedisConnection*>(context->data);
  if (self == nullptr || self->closing_) return;
  if (self->context_ == context) self->context_ = nullptr;
  self->log_.warn("redis.disconnected host={} port={} status={}", self->settings_.host,
                  self->settings_.port, status == REDIS_OK ? "closed" : context->errstr);
  self->sentAtMs_.clear();
  self->setConnected(false);
  self->scheduleReconnect();
}

void RedisConnection::onReply(redisAsyncContext* context, void* reply, void* privdata) {
  std::unique_ptr<Pending> pending(static_cast<Pending*>(privdata));
  RedisConnection* self = pending->connection;
  if (self->closing_) return;
  if (!self->sentAtMs_.empty()) self->sentAtMs_.pop_front();
  if (reply == nullptr) {
    return pending->done(
        redisUnavailable(context->errstr[0] ? context->errstr : "connection lost"));
  }
  pending->done(copyReply(static_cast<redisReply*>(reply)));
}

void RedisConnection::send(const Command& args, Reply done) {
  if (!connected_ || context_ == nullptr) return done(redisUnavailable("not connected"));
  if (sentAtMs_.size() >= settings_.maxInFlight) {
    return done(redisUnavailable("too many commands in flight"));
  }
  std::vector<const char*> argv;
  std::vector<size_t> lengths;
  argv.reserve(args.size());
  lengths.reserve(args.size());
  for (const auto& arg : args) {
    argv.push_back(arg.data());
    lengths.push_back(arg.size());
  }
  auto pending = std::make_unique<Pending>(Pending{this, std::move(done)});
  if (redisAsyncCommandArgv(context_, &RedisConnection::onReply, pending.get(),
                            static_cast<int>(argv.size()), argv.data(),
                            lengths.data()) != REDIS_OK) {
    return pending->done(redisUnavailable("cannot send"));
  }
  (void)pending.release();  // owned by hiredis until onReply
  // The loop's clock is read at the start of its turn: a turn (or a blocked loop) longer
  // than commandTimeoutMs would otherwise make this command look overdue at once.
  uv_update_time(loop_.raw());
  sentAtMs_.push_back(loop_.nowMs());
}

void RedisConnection::checkTimeouts() {
  if (context_ == nullptr) return;
  uint64_t now = loop_.nowMs();
  if (!connected_ && now - connectStartedMs_ > settings_.connectTimeoutMs) {
    lost("connect timeout");
  } else if (connected_ && !sentAtMs_.empty() &&
             now - sentAtMs_.front() > settings_.commandTimeoutMs) {
    lost("command timeout");
  }
}

// Drops the connection: commands in flight fail, a reconnect is scheduled.
void RedisConnection::lost(const char* why) {
  log_.warn("redis.dropped host={} port={} reason=\"{}\"", settings_.host, settings_.port, why);
  redisAsyncContext* context = context_;
  context_ = nullptr;
  bool wasConnected = connected_;
  context->data = nullptr;  // onDisconnect: nothing to do, handled here
  // Pending replies run now (errors), with `this` still reachable through Pending.
  redisAsyncFree(context);
  sentAtMs_.clear();
  if (wasConnected) setConnected(false);
  scheduleReconnect();
}

void RedisConnection::scheduleReconnect() {
  if (closing_) return;
  backoffMs_ = backoffMs_ == 0 ? settings_.reconnectMinMs
                               : std::min(settings_.reconnectMaxMs, backoffMs_ * 2);
  ++reconnects_;
  reconnectTimer_.start(backoffMs_, 0, [this] { connect(); });
  uv_unref(reinterpret_cast<uv_handle_t*>(reconnectTimer_.raw()));
}

void RedisConnection::setConnected(bool up) {
  if (connected_ == up) return;
  connected_ = up;
  if (stateChange_) stateChange_(up);
}

}  // namespace tidecast::social::store
