// A redis-server for tests: started on a free loopback port with no persistence, stopped (or
// killed, to test outages) by its PID. Plus a blocking hiredis connection for the test's own
// checks. TestRedis is what a suite run against one server or a cluster (redis_cluster.h)
// uses.
#pragma once

#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace tidecast::social::store::testing {

inline uint16_t freeLoopbackPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t length = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// A free loopback port below Linux's ephemeral range (32768+): one that outgoing connections
// never take as their source port while its server is down (a node killed, then restarted
// on the same port). Random in [20000, 32000), checked by binding; 0 if none was found.
inline uint16_t freeFixedLoopbackPort() {
  static std::mt19937 random(std::random_device{}());
  for (int attempt = 0; attempt < 100; ++attempt) {
    uint16_t port = static_cast<uint16_t>(20000 + random() % 12000);
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    bool free = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    ::close(fd);
    if (free) return port;
  }
  return 0;
}

struct RedisReplyFree {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using ReplyPtr = std::unique_ptr<redisReply, RedisReplyFree>;

// One blocking command to 127.0.0.1:port on a fresh connection (null when nothing answers).
inline ReplyPtr blockingCommand(uint16_t port, std::vector<std::string> args) {
  timeval timeout{1, 0};
  std::unique_ptr<redisContext, void (*)(redisContext*)> c(
      redisConnectWithTimeout("127.0.0.1", port, timeout), redisFree);
  if (!c || c->err) return nullptr;
  redisSetTimeout(c.get(), timeout);
  std::vector<const char*> argv;
  std::vector<size_t> lengths;
  for (auto& a : args) {
    argv.push_back(a.data());
    lengths.push_back(a.size());
  }
  return ReplyPtr(static_cast<redisReply*>(
      redisCommandArgv(c.get(), static_cast<int>(argv.size()), argv.data(), lengths.data())));
}

// A Redis for a test: one server or a cluster.
class TestRedis {
 public:
  virtual ~TestRedis() = default;
  virtual uint16_t port() const = 0;  // the one to connect to (a cluster's seed)
  virtual bool running() const = 0;
  virtual bool start() = 0;
  virtual void stop(int signal) = 0;
  // One blocking command, to the node holding its key (keyless: to every node, the last
  // node's reply); null when the server does not answer.
  virtual ReplyPtr command(std::vector<std::string> args) const = 0;
};

class RedisServer final : public TestRedis {
 public:
  // `fixedRange`: a port below the ephemeral range (freeFixedLoopbackPort), for servers
  // killed and restarted on the same port.
  explicit RedisServer(bool fixedRange = false)
      : port_(fixedRange ? freeFixedLoopbackPort() : freeLoopbackPort()) {}
  ~RedisServer() override { stop(SIGTERM); }

  uint16_t port() const override { return port_; }
  bool running() const override { return pid_ > 0; }
  // More redis-server arguments for the next start() (cluster mode).
  void setExtraArgs(std::vector<std::string> extra) { extra_ = std::move(extra); }

  // Starts redis-server and waits (bounded) until it answers PING.
  bool start() override {
    std::string port = std::to_string(port_);
    std::vector<std::string> args{"redis-server", "--port",      port,       "--bind",
                                  "127.0.0.1",    "--save",      "",         "--appendonly",
                                  "no",           "--daemonize", "no",       "--loglevel",
                                  "warning",      "--logfile",   "/dev/null"};
    args.insert(args.end(), extra_.begin(), extra_.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (posix_spawnp(&pid_, "redis-server", nullptr, nullptr, argv.data(), environ) != 0) {
      pid_ = 0;
      return false;
    }
    auto end = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < end) {
      if (auto reply = command({"PING"}); reply && reply->type == REDIS_REPLY_STATUS) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  // SIGKILL for an outage, SIGTERM for a clean stop; waits for the process.
  void stop(int signal) override {
    if (pid_ <= 0) return;
    ::kill(pid_, signal);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = 0;
  }

  // One blocking command on a fresh connection (null when the server does not answer).
  ReplyPtr command(std::vector<std::string> args) const override {
    return blockingCommand(port_, std::move(args));
  }

 private:
  uint16_t port_;
  std::vector<std::string> extra_;
  pid_t pid_ = 0;
};

}  // namespace tidecast::social::store::testing
