#include "social/store/redis_client.h"

#include <algorithm>
#include <cctype>
#include <optional>

namespace tidecast::social::store {

namespace {

bool isScriptCommand(const RedisClient::Command& args) {
  if (args.empty() || args[0].size() != 6) return false;
  std::string name = args[0];
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return name == "SCRIPT";
}

// The reply as the callers see it: an error reply is a social.store error.
core::Result<RedisValue> asResult(core::Result<RedisValue> reply) {
  if (reply && reply->type == RedisValue::Type::kError) {
    return core::makeError("social.store", "redis: " + reply->text);
  }
  return reply;
}

// N replies gathered in order: done gets them all, or the first error, once all are in.
struct Gather {
  std::vector<RedisValue> replies;
  size_t remaining;
  std::optional<core::Error> error;
  RedisClient::PipelineCallback done;
};

std::shared_ptr<Gather> gather(size_t count, RedisClient::PipelineCallback done) {
  auto out = std::make_shared<Gather>();
  out->replies.resize(count);
  out->remaining = count;
  out->done = std::move(done);
  return out;
}

// The callback of reply `i`.
RedisClient::Callback replyInto(std::shared_ptr<Gather> gather, size_t i) {
  return [gather = std::move(gather), i](core::Result<RedisValue> reply) {
    if (!reply) {
      if (!gather->error) gather->error = reply.error();
    } else {
      gather->replies[i] = std::move(*reply);
    }
    if (--gather->remaining > 0) return;
    if (gather->error) return gather->done(*gather->error);
    gather->done(std::move(gather->replies));
  };
}

}  // namespace

// A cluster command on its way: its redirections so far.
struct RedisClient::Routed {
  Command args;
  Callback done;
  uint32_t redirects = 0;
  std::string lastHost;  // of the node last asked: a redirection naming no host means it
};

RedisClient::RedisClient(core::Loop& loop, RedisConfig settings, spdlog::logger& log)
    : loop_(loop), settings_(std::move(settings)), log_(log), refreshTimer_(loop) {}

// The connections go first: their pending callbacks are dropped, never run.
RedisClient::~RedisClient() {
  subscribers_.clear();
  for (auto& [address, connection] : nodes_) connection->onStateChange(nullptr);
  nodes_.clear();
}

void RedisClient::start() { seed_ = &node(settings_.host, settings_.port); }

RedisConnection& RedisClient::node(const std::string& host, uint16_t port) {
  std::string address = host + ":" + std::to_string(port);
  auto found = nodes_.find(address);
  if (found != nodes_.end()) return *found->second;
  RedisConfig settings = settings_;
  settings.host = host;
  settings.port = port;
  auto connection = std::make_unique<RedisConnection>(loop_, settings, log_);
  RedisConnection& out = *connection;
  nodes_.emplace(address, std::move(connection));
  out.onStateChange([this](bool) { nodeStateChanged(); });
  out.start();
  return out;
}

uint64_t RedisClient::reconnects() const {
  uint64_t total = 0;
  for (const auto& [address, connection] : nodes_) total += connection->reconnects();
  return total;
}

RedisClient::Callback RedisClient::counted(Callback done) {
  return [this, done = std::move(done)](core::Result<RedisValue> reply) {
    reply = asResult(std::move(reply));
    if (!reply) ++failures_;
    done(std::move(reply));
  };
}

// ---- state -------------------------------------------------------------------------------

void RedisClient::nodeStateChanged() {
  // A cluster node came up or went down: the map may have changed (a failover), or was never
  // read (the seed just came up).
  if (settings_.cluster) refreshSlots();
  updateConnected();
}

void RedisClient::updateConnected() {
  bool up = false;
  if (!settings_.cluster) {
    up = seed_ != nullptr && seed_->connected();
  } else {
    up = !masters_.empty() && std::all_of(masters_.begin(), masters_.end(),
                                          [](RedisConnection* m) { return m->connected(); });
  }
  if (connected_ == up) return;
  connected_ = up;
  log_.info("redis.state up={} cluster={} masters={}", up, settings_.cluster, masters_.size());
  // A copy: a subscriber may unsubscribe (or subscribe another) from inside its call.
  auto subscribers = subscribers_;
  for (auto& [token, fn] : subscribers) {
    if (subscribers_.count(token)) fn(up);
  }
}

uint64_t RedisClient::subscribe(std::function<void(bool connected)> fn) {
  subscribers_.emplace(nextToken_, std::move(fn));
  return nextToken_++;
}

void RedisClient::unsubscribe(uint64_t token) { subscribers_.erase(token); }

// ---- commands ----------------------------------------------------------------------------

void RedisClient::command(Command args, Callback done) {
  if (!settings_.cluster) {
    if (seed_ == nullptr) return counted(std::move(done))(redisUnavailable("not started"));
    return seed_->send(args, counted(std::move(done)));
  }
  if (isScriptCommand(args)) {
    return commandOnAllMasters(args, [done = std::move(done)](auto replies) {
      if (!replies) return done(replies.error());
      if (replies->empty()) return done(redisUnavailable("no cluster master known"));
      done(std::move(replies->front()));
    });
  }
  auto routed = std::make_shared<Routed>();
  routed->args = std::move(args);
  routed->done = counted(std::move(done));
  route(routed, nullptr, false);
}

RedisConnection* RedisClient::nodeFor(const Command& args) const {
  if (slots_.empty()) return nullptr;
  if (auto key = commandKey(args)) return slots_[keySlot(*key)];
  for (RedisConnection* master : masters_) {
    if (master->connected()) return master;
  }
  return masters_.empty() ? nullptr : masters_.front();
}

// Sends to `to` (or the node of the command's slot), after ASKING when `asking`.
void RedisClient::route(const std::shared_ptr<Routed>& routed, RedisConnection* to, bool asking) {
  if (to == nullptr) to = nodeFor(routed->args);
  if (to == nullptr) {
    return routed->done(redisUnavailable(slots_.empty() ? "cluster slot map not known yet"
                                                        : "no cluster node serves this slot"));
  }
  if (asking) to->send({"ASKING"}, [](auto) {});
  routed->lastHost = to->host();
  to->send(routed->args, [this, routed](core::Result<RedisValue> reply) {
    if (reply && reply->type == RedisValue::Type::kError && redirected(routed, *reply)) return;
    routed->done(std::move(reply));
  });
}

// A redirection or a cluster state error: handled (resent or failed) when true.
bool RedisClient::redirected(const std::shared_ptr<Routed>& routed, const RedisValue& reply) {
  const std::string& text = reply.text;
  if (text.starts_with("TRYAGAIN") || text.starts_with("CLUSTERDOWN")) {
    routed->done(redisUnavailable(text));
    return true;
  }
  auto redirect = parseRedirect(text);
  if (!redirect) return false;
  if (++routed->redirects > kMaxRedirects) {
    routed->done(core::makeError("social.store", "redis: more than " +
                                                     std::to_string(kMaxRedirects) +
                                                     " cluster redirections, last: " + text));
    return true;
  }
  std::string host = redirect->host.empty() ? routed->lastHost : redirect->host;
  RedisConnection& target = node(host, redirect->port);
  if (!redirect->ask) {
    if (!slots_.empty()) slots_[redirect->slot] = &target;
    refreshSlots();
  }
  route(routed, &target, redirect->ask);
  return true;
}

void RedisClient::pipeline(std::vector<Command> commands, PipelineCallback done) {
  if (commands.empty()) return done(std::vector<RedisValue>{});
  auto replies = gather(commands.size(), std::move(done));
  for (size_t i = 0; i < commands.size(); ++i)
    command(std::move(commands[i]), replyInto(replies, i));
}

std::vector<std::string> RedisClient::masters() const {
  std::vector<std::string> out;
  if (!settings_.cluster) {
    if (seed_ != nullptr) out.push_back(seed_->address());
    return out;
  }
  for (RedisConnection* master : masters_) out.push_back(master->address());
  return out;
}

void RedisClient::commandOn(const std::string& node, const Command& args, Callback done) {
  auto found = nodes_.find(node);
  if (found == nodes_.end()) {
    ++failures_;
    return done(redisUnavailable("no connection to " + node));
  }
  found->second->send(args, counted(std::move(done)));
}

void RedisClient::commandOnAllMasters(const Command& args, PipelineCallback done) {
  std::vector<std::string> nodes = masters();
  if (nodes.empty()) {
    ++failures_;
    return done(redisUnavailable("cluster slot map not known yet"));
  }
  auto replies = gather(nodes.size(), std::move(done));
  for (size_t i = 0; i < nodes.size(); ++i) commandOn(nodes[i], args, replyInto(replies, i));
}

// ---- the slot map ------------------------------------------------------------------------

// Asks a node that is up for CLUSTER SLOTS (the seed first), at most once per
// kSlotsRefreshMinMs: a request inside that window is deferred to its end.
void RedisClient::refreshSlots() {
  if (refreshing_) return;
  uint64_t now = loop_.nowMs();
  if (lastRefreshMs_ != 0 && now - lastRefreshMs_ < kSlotsRefreshMinMs) {
    if (!uv_is_active(reinterpret_cast<uv_handle_t*>(refreshTimer_.raw()))) {
      refreshTimer_.start(kSlotsRefreshMinMs - (now - lastRefreshMs_), 0,
                          [this] { refreshSlots(); });
      uv_unref(reinterpret_cast<uv_handle_t*>(refreshTimer_.raw()));
    }
    return;
  }
  RedisConnection* asked = seed_ != nullptr && seed_->connected() ? seed_ : nullptr;
  for (auto it = nodes_.begin(); asked == nullptr && it != nodes_.end(); ++it) {
    if (it->second->connected()) asked = it->second.get();
  }
  if (asked == nullptr) return;  // asked again when a node comes up
  refreshing_ = true;
  lastRefreshMs_ = now;
  asked->send({"CLUSTER", "SLOTS"},
              [this, host = asked->host(), address = asked->address()](auto reply) {
                refreshing_ = false;
                if (!reply || reply->type == RedisValue::Type::kError) {
                  log_.warn("redis.cluster_slots_failed node={} error=\"{}\"", address,
                            reply ? reply->text : reply.error().message);
                  return refreshSlots();  // again once kSlotsRefreshMinMs has passed
                }
                applySlots(*reply, host);
              });
}

void RedisClient::applySlots(const RedisValue& reply, const std::string& askedHost) {
  auto ranges = parseClusterSlots(reply);
  if (!ranges || ranges->empty()) {
    // Not a cluster's answer, or a cluster not created yet: asked again a little later.
    log_.warn("redis.cluster_slots_invalid ranges={}", ranges ? 0 : -1);
    return refreshSlots();
  }
  std::vector<RedisConnection*> slots(kClusterSlots, nullptr);
  std::vector<RedisConnection*> masters;
  for (const SlotRange& range : *ranges) {
    RedisConnection& master = node(range.host.empty() ? askedHost : range.host, range.port);
    std::fill(slots.begin() + range.first, slots.begin() + range.last + 1, &master);
    if (std::find(masters.begin(), masters.end(), &master) == masters.end()) {
      masters.push_back(&master);
    }
  }
  size_t uncovered = static_cast<size_t>(std::count(slots.begin(), slots.end(), nullptr));
  if (masters != masters_ || uncovered > 0) {
    log_.info("redis.cluster_slots masters={} uncovered_slots={}", masters.size(), uncovered);
  }
  slots_ = std::move(slots);
  masters_ = std::move(masters);
  updateConnected();
  if (uncovered > 0) refreshSlots();  // a cluster still forming, or a master lost
}

}  // namespace tidecast::social::store
