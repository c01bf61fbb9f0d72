// The social store's Redis: one node, or a Redis Cluster (settings.cluster, host/port being
// a seed node). Commands are sent at once and answered through a callback on the loop thread;
// nothing ever waits. Each node is one RedisConnection (reconnect with backoff, command
// timeouts, bounded in-flight, failing at once while down: redis_connection.h).
//
// Cluster: the slot map is read with CLUSTER SLOTS from the seed (then from any node up; read
// again every kSlotsRefreshMinMs while unreadable or leaving slots without a master),
// each command goes to the master of its key's slot (commandKey(): args[1], or the first key
// of an EVAL), keyless ones to any master. -MOVED updates that slot, asks for a new map (at
// most once per kSlotsRefreshMinMs) and resends to the named node; -ASK resends there after
// ASKING, the map unchanged; past kMaxRedirects a command fails (social.store).
// -TRYAGAIN and -CLUSTERDOWN fail the command (social.store_unavailable) at once: the
// caller's retry policy applies, the client never spins. Connections to nodes that left the
// map are kept (and keep reconnecting) but no longer count for connected(). Loop thread
// only. Social plug-ins share one client per process.
#pragma once

#include <spdlog/logger.h>

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/loop.h"
#include "core/result.h"
#include "social/store/redis_cluster_slots.h"
#include "social/store/redis_connection.h"

namespace tidecast::social::store {

inline constexpr uint32_t kMaxRedirects = 5;          // MOVED/ASK followed per command
inline constexpr uint32_t kSlotsRefreshMinMs = 1000;  // between two CLUSTER SLOTS

class RedisClient {
 public:
  using Command = RedisConnection::Command;
  using Callback = std::function<void(core::Result<RedisValue>)>;
  using PipelineCallback = std::function<void(core::Result<std::vector<RedisValue>>)>;

  RedisClient(core::Loop& loop, RedisConfig settings, spdlog::logger& log);
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  // Starts connecting (and keeps reconnecting until destroyed).
  void start();
  // One node: its connection is up. Cluster: the slot map is known and every master's
  // connection is up.
  bool connected() const { return connected_; }
  bool cluster() const { return settings_.cluster; }
  core::Loop& loop() { return loop_; }
  // Calls fn on every change of connected() (a cache flushing what it missed while down),
  // until unsubscribed with the returned token; every plug-in sharing the client may listen.
  uint64_t subscribe(std::function<void(bool connected)> fn);
  void unsubscribe(uint64_t token);

  // One command; an error reply is a social.store error. In a cluster, routed by its key;
  // SCRIPT (LOAD, FLUSH, EXISTS) goes to every master and is answered with the first reply.
  void command(Command args, Callback done);
  // Several commands sent back to back (in a cluster: each to its node, so one pipeline per
  // node); done gets every reply in order, or the first error.
  void pipeline(std::vector<Command> commands, PipelineCallback done);

  // The masters, "host:port" (one node: that node): what scans every master goes through.
  std::vector<std::string> masters() const;
  // One command to one node of masters(), redirections not followed (SCAN's cursor is the
  // node's own).
  void commandOn(const std::string& node, const Command& args, Callback done);
  // One command on every master; the replies in masters() order, or the first error.
  void commandOnAllMasters(const Command& args, PipelineCallback done);

  uint64_t reconnects() const;                     // summed over the nodes
  uint64_t failures() const { return failures_; }  // commands answered with an error

 private:
  struct Routed;
  RedisConnection& node(const std::string& host, uint16_t port);
  void nodeStateChanged();
  void updateConnected();
  void route(const std::shared_ptr<Routed>& routed, RedisConnection* to, bool asking);
  bool redirected(const std::shared_ptr<Routed>& routed, const RedisValue& reply);
  RedisConnection* nodeFor(const Command& args) const;
  void refreshSlots();
  void applySlots(const RedisValue& reply, const std::string& askedHost);
  Callback counted(Callback done);

  core::Loop& loop_;
  RedisConfig settings_;
  spdlog::logger& log_;
  std::map<std::string, std::unique_ptr<RedisConnection>> nodes_;  // by "host:port"
  RedisConnection* seed_ = nullptr;  // the one node when not a cluster
  // Cluster: the slot map (null: no master known for it) and its distinct masters.
  std::vector<RedisConnection*> slots_;
  std::vector<RedisConnection*> masters_;
  bool refreshing_ = false;
  uint64_t lastRefreshMs_ = 0;
  core::Timer refreshTimer_;
  bool connected_ = false;
  uint64_t failures_ = 0;
  std::map<uint64_t, std::function<void(bool)>> subscribers_;  // by token
  uint64_t nextToken_ = 1;
};

}  // namespace tidecast::social::store
