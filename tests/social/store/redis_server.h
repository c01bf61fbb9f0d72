// A redis-server for tests: started on a free loopback port with no persistence, stopped (or
// killed, to test outages) by its PID. Plus a blocking hiredis connection for the test's own
// checks.
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

struct RedisReplyFree {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using ReplyPtr = std::unique_ptr<redisReply, RedisReplyFree>;

class RedisServer {
 public:
  RedisServer() : port_(freeLoopbackPort()) {}
  ~RedisServer() { stop(SIGTERM); }

  uint16_t port() const { return port_; }
  bool running() const { return pid_ > 0; }

  // Starts redis-server and waits (bounded) until it answers PING.
  bool start() {
    std::string port = std::to_string(port_);
    std::vector<std::string> args{"redis-server", "--port",      port,       "--bind",
                                  "127.0.0.1",    "--save",      "",         "--appendonly",
                                  "no",           "--daemonize", "no",       "--loglevel",
                                  "warning",      "--logfile",   "/dev/null"};
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
  void stop(int signal) {
    if (pid_ <= 0) return;
    ::kill(pid_, signal);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = 0;
  }

  // One blocking command on a fresh connection (null when the server does not answer).
  ReplyPtr command(std::vector<std::string> args) const {
    timeval timeout{1, 0};
    std::unique_ptr<redisContext, void (*)(redisContext*)> c(
        redisConnectWithTimeout("127.0.0.1", port_, timeout), redisFree);
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

 private:
  uint16_t port_;
  pid_t pid_ = 0;
};

}  // namespace tidecast::social::store::testing
