// The pieces tidecast-load's players share: per-connection counters, the target address, and
// the Player interface the RTMP and HTTP-FLV clients implement. Loop thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/loop.h"
#include "core/tcp.h"

namespace tidecast::bench {

// Nanoseconds on a monotonic clock (uv_hrtime).
uint64_t nowNs();

// The ws-echo and ws-idle modes (bench/load/ws_load.cpp): argv as given to main.
int runWebSocketLoad(int argc, char** argv);

struct Target {
  std::string host;  // numeric IPv4
  uint16_t port = 0;
  std::string app;   // rtmp: first path segment
  std::string key;   // rtmp: the rest of the path
  std::string path;  // http: the whole path, starting with '/'
};

// What one connection saw. "Media" is audio and video message payloads (RTMP) or audio and
// video tag bodies (FLV); "wire" is every byte read from the socket.
struct PlayerStats {
  uint64_t startNs = 0;       // connect() called
  uint64_t firstVideoNs = 0;  // first coded video frame (not a sequence header)
  uint64_t firstKeyNs = 0;    // first video key frame
  uint64_t lastMediaNs = 0;
  uint64_t wireBytes = 0;
  uint64_t mediaBytes = 0;
  uint64_t videoFrames = 0;  // coded video frames
  uint64_t audioFrames = 0;
  uint32_t stalls = 0;     // gaps > stall threshold between media, after the first frame
  uint64_t stalledNs = 0;  // sum of those gaps
  uint64_t maxGapNs = 0;   // longest gap between media after the first frame
  bool failed = false;     // error, refused, or closed by the server
  bool ended = false;      // the server ended the stream or closed the connection
  std::string error;

  // Called for every audio/video message or tag.
  void media(uint64_t now, uint64_t bytes, bool video, bool coded, bool key, uint64_t stallNs) {
    if (firstVideoNs != 0) {
      uint64_t gap = now - lastMediaNs;
      if (gap > maxGapNs) maxGapNs = gap;
      if (gap > stallNs) {
        ++stalls;
        stalledNs += gap;
      }
    }
    lastMediaNs = now;
    mediaBytes += bytes;
    if (video && coded) {
      ++videoFrames;
      if (firstVideoNs == 0) firstVideoNs = now;
      if (key && firstKeyNs == 0) firstKeyNs = now;
    } else if (!video) {
      ++audioFrames;
    }
  }
};

class Player {
 public:
  virtual ~Player() = default;
  // Opens the connection; everything after that is driven by the loop.
  virtual void start() = 0;
  // Closes the connection (end of the run). No callback touches the player afterwards.
  virtual void stop() = 0;
  const PlayerStats& stats() const { return stats_; }

 protected:
  PlayerStats stats_;
};

struct PlayerOptions {
  uint64_t stallNs = 1'000'000'000;
};

std::unique_ptr<Player> makeRtmpPlayer(core::Loop& loop, const Target& target,
                                       const PlayerOptions& options);
std::unique_ptr<Player> makeFlvPlayer(core::Loop& loop, const Target& target,
                                      const PlayerOptions& options);

// Starts a TCP connect for `stream` to target.host:port; `done(status)` runs on the loop
// (status 0 on success, a libuv error otherwise) unless the stream was closed first.
void connectTcp(core::TcpStream& stream, const Target& target, std::function<void(int)> done);

// A player on one TCP connection: connects, reads, fails once. Subclasses speak the protocol
// (onOpen sends the first bytes; onData gets everything the server sends).
class StreamPlayer : public Player {
 public:
  StreamPlayer(core::Loop& loop, const Target& target, const PlayerOptions& options)
      : loop_(loop), target_(target), options_(options) {}
  ~StreamPlayer() override { closeStream(); }

  void start() override {
    stats_.startNs = nowNs();
    stream_ = std::make_unique<core::TcpStream>(loop_);
    connectTcp(*stream_, target_, [this](int status) { onConnected(status); });
  }
  void stop() override { closeStream(); }

 protected:
  virtual void onOpen() = 0;
  virtual void onData(std::string_view bytes) = 0;

  void fail(std::string why) {
    if (stats_.failed) return;
    stats_.failed = true;
    stats_.error = std::move(why);
    closeStream();
  }

  core::Loop& loop_;
  const Target& target_;
  PlayerOptions options_;
  std::unique_ptr<core::TcpStream> stream_;

 private:
  void closeStream() {
    if (stream_) stream_->close();
  }
  void onConnected(int status) {
    if (status != 0) return fail(std::string("connect: ") + uv_err_name(status));
    stream_->setNoDelay(true);
    stream_->startRead([this](std::string_view bytes) { onData(bytes); },
                       [this](int st) {
                         stats_.ended = true;
                         fail(st == UV_EOF ? "closed by server" : uv_err_name(st));
                       });
    onOpen();
  }
};

}  // namespace tidecast::bench
