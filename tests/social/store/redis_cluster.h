// A 3-master Redis Cluster for tests: three redis-servers in cluster mode on free loopback
// ports (client and bus ports both picked free, below the ephemeral range), no persistence but
// their cluster config files in a temporary directory, joined with `redis-cli --cluster create`.
// Every wait is bounded; only the PIDs started here are stopped; the directory is removed at the
// end. A node stopped and started again keeps its port, node id and slots (its nodes-<port>.conf).
#pragma once

#include <fcntl.h>

#include <algorithm>
#include <cctype>

#include <array>
#include <atomic>
#include <filesystem>
#include <string>

#include "tests/social/store/redis_server.h"

namespace tidecast::social::store::testing {

class RedisCluster final : public TestRedis {
 public:
  static constexpr size_t kNodes = 3;

  RedisCluster() {
    static std::atomic<int> serial{0};
    dir_ = std::filesystem::temp_directory_path() /
           ("tidecast-cluster-" + std::to_string(::getpid()) + "-" + std::to_string(serial++));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    for (auto& node : nodes_) {
      std::string port = std::to_string(node.port());
      node.setExtraArgs({"--cluster-enabled", "yes", "--cluster-port",
                         std::to_string(freeFixedLoopbackPort()), "--cluster-config-file",
                         (dir_ / ("nodes-" + port + ".conf")).string(), "--cluster-node-timeout",
                         "3000", "--dir", dir_.string()});
    }
  }
  ~RedisCluster() override {
    for (auto& node : nodes_) node.stop(SIGTERM);
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  RedisServer& node(size_t i) { return nodes_[i]; }
  const RedisServer& node(size_t i) const { return nodes_[i]; }
  uint16_t port() const override { return nodes_[0].port(); }
  bool running() const override {
    for (const auto& node : nodes_) {
      if (!node.running()) return false;
    }
    return true;
  }

  // Starts the nodes that are not running; the first time, creates the cluster. Waits
  // (bounded) until every node says cluster_state:ok.
  bool start() override { return startNodes() && create() && waitOk(30000); }

  // The nodes that are not running, as nodes of no cluster yet the first time.
  bool startNodes() {
    for (auto& node : nodes_) {
      if (!node.running() && !node.start()) return false;
    }
    return true;
  }

  // Joins the nodes into one cluster, slots spread evenly (once).
  bool create() {
    if (created_) return true;
    std::vector<std::string> args{"redis-cli", "--cluster", "create"};
    for (const auto& node : nodes_) args.push_back("127.0.0.1:" + std::to_string(node.port()));
    args.insert(args.end(), {"--cluster-replicas", "0", "--cluster-yes"});
    created_ = run(args, 30000);
    return created_;
  }

  void stop(int signal) override {
    for (auto& node : nodes_) node.stop(signal);
  }

  // Every node says cluster_state:ok.
  bool waitOk(int timeoutMs) const {
    auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
    while (std::chrono::steady_clock::now() < end) {
      bool ok = true;
      for (const auto& node : nodes_) {
        auto info = node.command({"CLUSTER", "INFO"});
        if (!info || info->type != REDIS_REPLY_STRING ||
            std::string(info->str, info->len).find("cluster_state:ok") == std::string::npos) {
          ok = false;
        }
      }
      if (ok) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  // The node serving `slot` (its index), by asking node 0's CLUSTER SLOTS; -1 when unknown.
  int nodeOfSlot(int slot) const {
    for (const auto& asked : nodes_) {
      auto slots = asked.command({"CLUSTER", "SLOTS"});
      if (!slots || slots->type != REDIS_REPLY_ARRAY) continue;
      for (size_t i = 0; i < slots->elements; ++i) {
        const redisReply* range = slots->element[i];
        if (slot < range->element[0]->integer || slot > range->element[1]->integer) continue;
        return indexOfPort(static_cast<int>(range->element[2]->element[1]->integer));
      }
    }
    return -1;
  }

  int indexOfPort(int port) const {
    for (size_t i = 0; i < kNodes; ++i) {
      if (nodes_[i].port() == port) return static_cast<int>(i);
    }
    return -1;
  }

  // To the node of the key (following MOVED), or, keyless (FLUSHALL, CLIENT ...), to every
  // running node.
  ReplyPtr command(std::vector<std::string> args) const override {
    static const std::vector<std::string> everywhere{"FLUSHALL", "FLUSHDB", "CLIENT", "SCRIPT",
                                                     "CONFIG"};
    std::string name = args.empty() ? "" : args[0];
    for (auto& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (std::find(everywhere.begin(), everywhere.end(), name) != everywhere.end()) {
      ReplyPtr last;
      for (const auto& node : nodes_) {
        if (node.running()) last = node.command(args);
      }
      return last;
    }
    uint16_t port = nodes_[0].port();
    for (int hop = 0; hop < 5; ++hop) {
      ReplyPtr reply = blockingCommand(port, args);
      if (!reply || reply->type != REDIS_REPLY_ERROR) return reply;
      std::string error(reply->str, reply->len);
      if (error.rfind("MOVED ", 0) != 0) return reply;
      port = static_cast<uint16_t>(std::stoi(error.substr(error.rfind(':') + 1)));
    }
    return nullptr;
  }

 private:
  // Runs a command to its end (output discarded), bounded: killed past the deadline.
  static bool run(std::vector<std::string> args, int timeoutMs) {
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid = 0;
    int spawned = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (spawned != 0) return false;
    auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
    int status = 0;
    while (std::chrono::steady_clock::now() < end) {
      if (::waitpid(pid, &status, WNOHANG) == pid) {
        return WIFEXITED(status) && WEXITSTATUS(status) == 0;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
    return false;
  }

  std::filesystem::path dir_;
  // Client and bus ports below the ephemeral range: a killed node's ports stay free for its
  // restart while the others (and the client) keep reconnecting to it.
  std::array<RedisServer, kNodes> nodes_{RedisServer(true), RedisServer(true), RedisServer(true)};
  bool created_ = false;
};

}  // namespace tidecast::social::store::testing
