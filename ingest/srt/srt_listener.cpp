#include "ingest/srt/srt_listener.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <srt/access_control.h>
#include <srt/srt.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstring>

#include "ingest/srt/byte_queue.h"
#include "ingest/srt/ts_demuxer.h"
#include "ingest/srt/ts_media_converter.h"

namespace tidecast::ingest::srt {

namespace {

constexpr int kEpollWaitMs = 100;  // also the stop-flag check interval
constexpr int kMaxEventsPerWait = 256;
constexpr int kListenBacklog = 64;
constexpr int kReceiveBufferBytes = 1500;  // one SRT live message at most

uint64_t nowMs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

std::string describe(const sockaddr* addr) {
  if (addr == nullptr) return "?";
  char text[INET6_ADDRSTRLEN] = {0};
  if (addr->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(addr);
    inet_ntop(AF_INET, &in->sin_addr, text, sizeof text);
    return std::string(text) + ":" + std::to_string(ntohs(in->sin_port));
  }
  if (addr->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(addr);
    inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text);
    return "[" + std::string(text) + "]:" + std::to_string(ntohs(in6->sin6_port));
  }
  return "?";
}

std::string lastError() { return srt_getlasterror_str(); }

}  // namespace

// One accepted connection, owned by the SRT thread.
struct SrtListener::Connection {
  uint64_t id = 0;
  SRTSOCKET socket = SRT_INVALID_SOCK;
  StreamId streamId;
  std::string peer;
  std::shared_ptr<Outbox> outbox;    // players
  std::shared_ptr<ByteQueue> input;  // publishers: received bytes for the demuxer
  std::shared_ptr<std::atomic<bool>> cancel = std::make_shared<std::atomic<bool>>(false);
  std::thread demux;
  bool waitingForWrite = false;
  std::string goneReason;  // the peer left; the demuxer finishes what was received first
};

SrtListener::SrtListener(SrtConfig settings, Hooks hooks, spdlog::logger& log)
    : settings_(std::move(settings)), hooks_(std::move(hooks)), log_(log) {}

SrtListener::~SrtListener() { stop(); }

core::Status SrtListener::start() {
  if (srt_startup() < 0) return core::makeError("srt.listen", "srt_startup: " + lastError());
  started_ = true;
  sockaddr_storage addr{};
  int addrLen = 0;
  auto* in = reinterpret_cast<sockaddr_in*>(&addr);
  auto* in6 = reinterpret_cast<sockaddr_in6*>(&addr);
  if (inet_pton(AF_INET, settings_.listen.c_str(), &in->sin_addr) == 1) {
    in->sin_family = AF_INET;
    in->sin_port = htons(settings_.port);
    addrLen = sizeof(sockaddr_in);
  } else if (inet_pton(AF_INET6, settings_.listen.c_str(), &in6->sin6_addr) == 1) {
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(settings_.port);
    addrLen = sizeof(sockaddr_in6);
  } else {
    return core::makeError("srt.listen", "srt.listen is not an IP address: " + settings_.listen);
  }
  listener_ = srt_create_socket();
  if (listener_ == SRT_INVALID_SOCK) return core::makeError("srt.listen", lastError());
  bool no = false;
  int latency = static_cast<int>(settings_.latencyMs);
  // SRTO_MAXBW: -1 is libsrt's "infinite", 0 would mean "relative to the input rate".
  int64_t maxBandwidth =
      settings_.maxBandwidth == 0 ? -1 : static_cast<int64_t>(settings_.maxBandwidth);
  srt_setsockflag(listener_, SRTO_RCVSYN, &no, sizeof no);
  srt_setsockflag(listener_, SRTO_SNDSYN, &no, sizeof no);
  srt_setsockflag(listener_, SRTO_LATENCY, &latency, sizeof latency);
  srt_setsockflag(listener_, SRTO_MAXBW, &maxBandwidth, sizeof maxBandwidth);
  if (srt_bind(listener_, reinterpret_cast<sockaddr*>(&addr), addrLen) < 0) {
    int systemError = 0;
    srt_getlasterror(&systemError);
    // Lower case, as libuv words it ("address already in use"): one phrase to look for.
    std::string reason = std::strerror(systemError);
    for (char& ch : reason) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return core::makeError("srt.listen", "bind " + settings_.listen + ":" +
                                             std::to_string(settings_.port) + ": " + reason);
  }
  if (srt_listen_callback(listener_, &SrtListener::onListenCallback, this) < 0 ||
      srt_listen(listener_, kListenBacklog) < 0) {
    return core::makeError("srt.listen", "listen: " + lastError());
  }
  sockaddr_storage bound{};
  int boundLen = sizeof bound;
  if (srt_getsockname(listener_, reinterpret_cast<sockaddr*>(&bound), &boundLen) == 0) {
    port_ = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                              : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  }
  epoll_ = srt_epoll_create();
  wakeFd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (epoll_ < 0 || wakeFd_ < 0) return core::makeError("srt.listen", "epoll: " + lastError());
  int in_events = SRT_EPOLL_IN | SRT_EPOLL_ERR;
  srt_epoll_add_usock(epoll_, listener_, &in_events);
  int wakeEvents = SRT_EPOLL_IN;
  srt_epoll_add_ssock(epoll_, wakeFd_, &wakeEvents);
  thread_ = std::thread([this] { run(); });
  return {};
}

void SrtListener::stop() {
  if (!started_) return;
  stopping_ = true;
  wake();
  if (thread_.joinable()) thread_.join();
  if (epoll_ >= 0) srt_epoll_release(epoll_);
  if (listener_ != SRT_INVALID_SOCK && listener_ >= 0) srt_close(listener_);
  if (wakeFd_ >= 0) ::close(wakeFd_);
  epoll_ = wakeFd_ = listener_ = -1;
  srt_cleanup();  // joins libsrt's threads: no handshake callback runs after this
  started_ = false;
}

void SrtListener::wake() {
  if (wakeFd_ < 0) return;
  uint64_t one = 1;
  ssize_t rc = ::write(wakeFd_, &one, sizeof one);
  (void)rc;  // EAGAIN: a wake-up is already pending
}

void SrtListener::startDemux(uint64_t id) {
  {
    std::lock_guard lock(commandsMutex_);
    commands_.push_back([this, id] {
      auto it = byId_.find(id);
      if (it != byId_.end()) launchDemux(*it->second);
    });
  }
  wake();
}

void SrtListener::close(uint64_t id, std::string reason) {
  {
    std::lock_guard lock(commandsMutex_);
    commands_.push_back(
        [this, id, reason = std::move(reason)] { closeConnection(id, reason, true); });
  }
  wake();
}

// ---- handshake (libsrt's thread) ---------------------------------------------------------

int SrtListener::onListenCallback(void* opaque, int socket, int hsVersion, const sockaddr* peer,
                                  const char* streamId) {
  return static_cast<SrtListener*>(opaque)->checkHandshake(socket, hsVersion, peer, streamId);
}

int SrtListener::checkHandshake(int socket, int hsVersion, const sockaddr* peer,
                                const char* streamId) {
  std::string peerText = describe(peer);
  auto refuse = [&](int code, const std::string& why) {
    srt_setrejectreason(socket, code);
    if (hooks_.rejected) hooks_.rejected(code, peerText, why);
    return -1;
  };
  if (stopping_) return refuse(SRT_REJX_DOWN, "server stopping");
  if (hsVersion < 5) return refuse(SRT_REJX_VERSION, "SRT handshake v4 carries no stream id");
  if (connections_.load() >= settings_.maxConnections) {
    return refuse(SRT_REJX_OVERLOAD, "max_connections reached");
  }
  auto id = parseStreamId(streamId != nullptr ? streamId : "");
  if (!id) {
    return refuse(id.error().code == "srt.bad_mode" ? SRT_REJX_BAD_MODE : SRT_REJX_BAD_REQUEST,
                  id.error().message);
  }
  HandshakeVerdict verdict = hooks_.checkHandshake(*id, peerText);
  if (verdict.rejectReason != 0) return refuse(verdict.rejectReason, "refused by the server");
  if (!verdict.passphrase.empty()) {
    int keyLength = static_cast<int>(settings_.pbkeylen);
    srt_setsockflag(socket, SRTO_PBKEYLEN, &keyLength, sizeof keyLength);
    if (srt_setsockflag(socket, SRTO_PASSPHRASE, verdict.passphrase.data(),
                        static_cast<int>(verdict.passphrase.size())) < 0) {
      return refuse(SRT_REJX_ISE, "cannot set the passphrase: " + lastError());
    }
  }
  return 0;
}

// ---- the SRT thread ------------------------------------------------------------------------

void SrtListener::run() {
  std::vector<SRTSOCKET> readable(kMaxEventsPerWait);
  std::vector<SRTSOCKET> writable(kMaxEventsPerWait);
  while (!stopping_) {
    int readCount = kMaxEventsPerWait;
    int writeCount = kMaxEventsPerWait;
    SYSSOCKET systemReadable[1];
    int systemCount = 1;
    int rc = srt_epoll_wait(epoll_, readable.data(), &readCount, writable.data(), &writeCount,
                            kEpollWaitMs, systemReadable, &systemCount, nullptr, nullptr);
    if (rc < 0) readCount = writeCount = systemCount = 0;
    if (systemCount > 0) {
      uint64_t value = 0;
      ssize_t n = ::read(wakeFd_, &value, sizeof value);
      (void)n;
    }
    runCommands();
    for (int i = 0; i < readCount && !stopping_; ++i) {
      if (readable[i] == listener_) {
        accept();
      } else if (Connection* c = find(readable[i])) {
        onReadable(*c);
      }
    }
    for (int i = 0; i < writeCount && !stopping_; ++i) {
      if (Connection* c = find(writable[i]); c != nullptr && c->outbox) flushPlayer(*c);
    }
    // Players' outboxes filled by the loop: cheap to check every turn.
    std::vector<Connection*> players;
    for (auto& [id, c] : byId_) {
      if (c->outbox && !c->waitingForWrite && c->outbox->pendingBytes() > 0)
        players.push_back(c.get());
    }
    for (Connection* c : players) flushPlayer(*c);
    if (nowMs() - lastStatsMs_ >= settings_.statsIntervalMs) sampleStats();
  }
  std::vector<uint64_t> ids;
  for (auto& [id, c] : byId_) ids.push_back(id);
  for (uint64_t id : ids) closeConnection(id, "server stopping", false);
}

void SrtListener::runCommands() {
  std::vector<std::function<void()>> commands;
  {
    std::lock_guard lock(commandsMutex_);
    commands.swap(commands_);
  }
  for (auto& command : commands) command();
}

SrtListener::Connection* SrtListener::find(int socket) {
  auto it = bySocket_.find(socket);
  if (it == bySocket_.end()) return nullptr;
  auto c = byId_.find(it->second);
  return c == byId_.end() ? nullptr : c->second.get();
}

// One connection per readiness: the epoll is level-triggered, and a second srt_accept with
// nothing pending would only make libsrt log an error.
void SrtListener::accept() {
  {
    sockaddr_storage addr{};
    int addrLen = sizeof addr;
    SRTSOCKET socket = srt_accept(listener_, reinterpret_cast<sockaddr*>(&addr), &addrLen);
    if (socket == SRT_INVALID_SOCK) return;
    char text[kMaxStreamIdBytes + 1] = {0};
    int textLen = sizeof text;
    srt_getsockflag(socket, SRTO_STREAMID, text, &textLen);
    auto streamId = parseStreamId(std::string_view(text, textLen > 0 ? textLen : 0));
    if (!streamId) {  // checked at the handshake already; only a race could get here
      srt_close(socket);
      return;
    }
    auto c = std::make_unique<Connection>();
    c->id = nextId_++;
    c->socket = socket;
    c->streamId = std::move(*streamId);
    c->peer = describe(reinterpret_cast<sockaddr*>(&addr));
    if (c->streamId.mode == StreamMode::kPublish) {
      c->input = std::make_shared<ByteQueue>(settings_.receiveQueueBytes);
    } else {
      c->outbox = std::make_shared<Outbox>();
    }
    int events = SRT_EPOLL_IN | SRT_EPOLL_ERR;
    srt_epoll_add_usock(epoll_, socket, &events);
    connections_.fetch_add(1);
    bySocket_[socket] = c->id;
    ConnectionInfo info{c->id, c->streamId, c->peer, c->outbox};
    byId_.emplace(c->id, std::move(c));
    hooks_.opened(std::move(info));
  }
}

void SrtListener::onReadable(Connection& c) {
  uint8_t buffer[kReceiveBufferBytes];
  for (;;) {
    int n = srt_recvmsg(c.socket, reinterpret_cast<char*>(buffer), sizeof buffer);
    if (n < 0) {
      if (srt_getlasterror(nullptr) == SRT_EASYNCRCV) return;
      return peerGone(c, "connection closed: " + lastError());
    }
    if (n == 0) return peerGone(c, "peer closed");
    if (!c.input) continue;  // a player sending: ignored
    if (!c.input->push(buffer, static_cast<size_t>(n))) {
      return closeConnection(c.id, "receive queue full (the demuxer fell behind)", true);
    }
  }
}

void SrtListener::peerGone(Connection& c, const std::string& reason) {
  if (!c.input || !c.demux.joinable()) return closeConnection(c.id, reason, true);
  // A publisher's last bytes are still queued: let its demuxer drain them; it closes the
  // connection (and reports it) when it reaches the end.
  srt_epoll_remove_usock(epoll_, c.socket);
  srt_close(c.socket);
  bySocket_.erase(c.socket);
  c.socket = SRT_INVALID_SOCK;
  c.goneReason = reason;
  c.input->close(false);
}

void SrtListener::flushPlayer(Connection& c) {
  int rc = c.outbox->drain([&c](const uint8_t* data, size_t size) {
    int sent =
        srt_sendmsg(c.socket, reinterpret_cast<const char*>(data), static_cast<int>(size), -1, 0);
    if (sent >= 0) return sent;
    return srt_getlasterror(nullptr) == SRT_EASYNCSND ? -1 : -2;
  });
  if (rc == -2) return closeConnection(c.id, "send failed: " + lastError(), true);
  bool blocked = rc == -1;
  if (blocked != c.waitingForWrite) {
    int events = SRT_EPOLL_IN | SRT_EPOLL_ERR;
    if (blocked) events |= SRT_EPOLL_OUT;
    srt_epoll_update_usock(epoll_, c.socket, &events);
    c.waitingForWrite = blocked;
  }
}

void SrtListener::sampleStats() {
  lastStatsMs_ = nowMs();
  for (auto& [id, c] : byId_) {
    if (c->socket == SRT_INVALID_SOCK) continue;
    SRT_TRACEBSTATS perf{};
    if (srt_bstats(c->socket, &perf, 0) < 0) continue;
    ConnectionStats stats;
    bool player = c->outbox != nullptr;
    stats.link.rttMs = perf.msRTT;
    stats.link.bandwidthMbps = perf.mbpsBandwidth;
    stats.link.rateMbps = player ? perf.mbpsSendRate : perf.mbpsRecvRate;
    stats.link.packetsLost =
        static_cast<uint64_t>(perf.pktRcvLossTotal) + static_cast<uint64_t>(perf.pktSndLossTotal);
    // Local counters are never cleared (bstats with clear = 0): totals since the start.
    stats.link.packetsRetransmitted =
        static_cast<uint64_t>(player ? perf.pktRetransTotal : perf.pktRcvRetrans);
    stats.link.packetsDropped =
        static_cast<uint64_t>(perf.pktRcvDropTotal) + static_cast<uint64_t>(perf.pktSndDropTotal);
    stats.link.latencyMs =
        static_cast<uint32_t>(player ? perf.msSndTsbPdDelay : perf.msRcvTsbPdDelay);
    stats.bytesReceived = perf.byteRecvTotal;
    stats.bytesSent = perf.byteSentTotal;
    hooks_.stats(id, stats);
  }
}

void SrtListener::launchDemux(Connection& c) {
  if (!c.input || c.demux.joinable()) return;
  uint64_t id = c.id;
  c.demux = std::thread([this, id, input = c.input, cancel = c.cancel] {
    TsDemuxer demuxer([&input](uint8_t* buffer, int size) {
      return static_cast<int>(input->pop(buffer, static_cast<size_t>(size)));
    });
    std::string reason = "end of stream";
    if (auto status = demuxer.open(); !status) {
      reason = status.error().message;
    } else {
      TsMediaConverter converter([&](core::media::MediaPacketPtr packet) {
        if (!hooks_.packet(id, std::move(packet), *cancel)) cancel->store(true);
      });
      while (!cancel->load()) {
        auto unit = demuxer.next();
        if (!unit) {
          reason = unit.error().code == "srt.demux_end" ? "end of stream" : unit.error().message;
          break;
        }
        if (auto pushed = converter.push(*unit);
            !pushed && pushed.error().code != "media.ignored") {
          log_.debug("srt.bad_unit conn={} code={} error=\"{}\"", id, pushed.error().code,
                     pushed.error().message);
        }
      }
    }
    if (!cancel->load()) close(id, "demux: " + reason);
  });
}

void SrtListener::closeConnection(uint64_t id, const std::string& reason, bool notify) {
  auto it = byId_.find(id);
  if (it == byId_.end()) return;
  std::unique_ptr<Connection> c = std::move(it->second);
  byId_.erase(it);
  if (c->socket != SRT_INVALID_SOCK) {
    srt_epoll_remove_usock(epoll_, c->socket);
    srt_close(c->socket);
    bySocket_.erase(c->socket);
  }
  c->cancel->store(true);
  if (c->input) c->input->close(true);
  if (c->demux.joinable()) c->demux.join();
  connections_.fetch_sub(1);
  if (notify) hooks_.closed(id, c->goneReason.empty() ? reason : c->goneReason);
}

}  // namespace tidecast::ingest::srt
