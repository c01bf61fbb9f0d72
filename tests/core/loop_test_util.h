// Helpers for tests that run a real loop against loopback sockets (tcp_test, tls_stream_test).
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <thread>

#include "core/loop.h"

namespace tidecast::core {

// Runs the loop until `done` or the deadline; returns whether `done` held.
template <class Pred>
bool runUntil(Loop& loop, Pred done,
              std::chrono::milliseconds deadline = std::chrono::seconds(10)) {
  auto end = std::chrono::steady_clock::now() + deadline;
  while (!done() && std::chrono::steady_clock::now() < end) {
    uv_run(loop.raw(), UV_RUN_NOWAIT);
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  return done();
}

// A blocking client socket connected to 127.0.0.1:port, or -1. `receiveBuffer` (bytes, set
// before connect(): the window scale is agreed in the handshake) makes a slow reader.
inline int connectTo(uint16_t port, int receiveBuffer = 0) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (receiveBuffer) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receiveBuffer, sizeof(receiveBuffer));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace tidecast::core
