// The SRT side of SRT ingest and playback: libsrt's listener socket and every connection it
// accepted, on one dedicated thread that waits in srt_epoll, plus one demux thread per
// publisher (MPEG-TS -> MediaPackets through libavformat, where blocking is fine). Nothing
// here touches the hub: what happens is reported through Hooks, which the loop side
// (SrtServer) implements by posting to its loop; what the loop wants done (start demuxing
// an authorized publisher, close a connection, send a player's bytes) comes back through
// startDemux()/close()/wake(), queued for the SRT thread.
//
// Handshake: libsrt calls our listen callback on its own receiving thread, before the
// connection exists. The stream id is parsed there and Hooks::checkHandshake decides (it
// asks the loop and waits a bounded time); a refusal is sent as an SRT reject reason
// (SRT_REJX_*), and the app's passphrase is set on the new socket there, so libsrt itself
// refuses a wrong one (SRT_REJ_BADSECRET).
//
// Threads: start()/stop() on the owner's thread; startDemux/close/wake from any thread;
// hooks are called on the SRT thread, the demux threads or libsrt's handshake thread, as
// each says.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <spdlog/logger.h>

#include "core/media/media_packet.h"
#include "core/result.h"
#include "core/session_registry.h"
#include "ingest/srt/outbox.h"
#include "ingest/srt/srt_config.h"
#include "ingest/srt/stream_id.h"

struct sockaddr;

namespace tidecast::ingest::srt {

struct HandshakeVerdict {
  int rejectReason = 0;    // 0 accepts; else an SRT_REJX_* code
  std::string passphrase;  // "" = no encryption required
};

struct ConnectionInfo {
  uint64_t id = 0;
  StreamId streamId;
  std::string peer;                // "ip:port"
  std::shared_ptr<Outbox> outbox;  // players (m=request) only
};

// What a connection received and sent (totals) and how its link behaves.
struct ConnectionStats {
  core::LinkStats link;
  uint64_t bytesReceived = 0;
  uint64_t bytesSent = 0;
};

class SrtListener {
 public:
  struct Hooks {
    // libsrt's handshake thread; may block up to the settings' handshake timeout.
    std::function<HandshakeVerdict(const StreamId&, const std::string& peer)> checkHandshake;
    // A refused handshake (code = SRT_REJX_*), for logs and metrics. libsrt's thread.
    std::function<void(int code, const std::string& peer, const std::string& why)> rejected;
    // SRT thread.
    std::function<void(ConnectionInfo)> opened;
    // A demux thread; waits for room in the loop's queue. False: the connection is closing.
    std::function<bool(uint64_t id, core::media::MediaPacketPtr, const std::atomic<bool>& cancel)>
        packet;
    // SRT thread: the connection is gone (peer left, link broken, demux ended, backlog).
    std::function<void(uint64_t id, std::string reason)> closed;
    std::function<void(uint64_t id, ConnectionStats)> stats;  // SRT thread
  };

  SrtListener(SrtConfig settings, Hooks hooks, spdlog::logger& log);
  ~SrtListener();
  SrtListener(const SrtListener&) = delete;
  SrtListener& operator=(const SrtListener&) = delete;

  // Binds, listens and starts the SRT thread. Error code srt.listen.
  core::Status start();
  uint16_t port() const { return port_; }
  // Closes every connection (without Hooks::closed) and joins the threads.
  void stop();

  // Any thread: queued for the SRT thread.
  void startDemux(uint64_t id);
  void close(uint64_t id, std::string reason);
  void wake();  // a player's outbox has bytes
  size_t connectionCount() const { return connections_.load(); }

 private:
  struct Connection;
  static int onListenCallback(void* opaque, int socket, int hsVersion, const ::sockaddr* peer,
                              const char* streamId);
  int checkHandshake(int socket, int hsVersion, const ::sockaddr* peer, const char* streamId);
  void run();
  void runCommands();
  void accept();
  void onReadable(Connection& c);
  void peerGone(Connection& c, const std::string& reason);
  void flushPlayer(Connection& c);
  void sampleStats();
  void launchDemux(Connection& c);
  void closeConnection(uint64_t id, const std::string& reason, bool notify);
  Connection* find(int socket);

  SrtConfig settings_;
  Hooks hooks_;
  spdlog::logger& log_;
  int listener_ = -1;
  int epoll_ = -1;
  int wakeFd_ = -1;
  uint16_t port_ = 0;
  bool started_ = false;
  std::atomic<bool> stopping_{false};
  std::atomic<size_t> connections_{0};
  std::thread thread_;
  std::mutex commandsMutex_;
  std::vector<std::function<void()>> commands_;
  // SRT thread only.
  std::map<uint64_t, std::unique_ptr<Connection>> byId_;
  std::unordered_map<int, uint64_t> bySocket_;
  uint64_t nextId_ = 1;
  uint64_t lastStatsMs_ = 0;
};

}  // namespace tidecast::ingest::srt
