// The RTMP handshake (Adobe RTMP 1.0, section 5.2) as byte-fed state machines, one per side.
// Neither touches a socket: the connection feeds received bytes to consume() and writes what
// takeOutput() returns. Both live on the connection's loop thread.
//
// The server answers two handshakes:
//   - simple: S1 = time, zero, 1528 random bytes; S2 = echo of C1 (time2 = when C1 was read);
//   - digest ("complex"), which Flash Player and some encoders require: C1 carries an
//     HMAC-SHA256 digest keyed with the Flash Player key, at a position given by one of two
//     layouts. Scheme 0 is time, version, key block (764 bytes), digest block (764 bytes);
//     scheme 1 swaps the two blocks (the one ffmpeg and librtmp send). The reply's S1 uses
//     the client's scheme with a digest keyed by the Flash Media Server key, and S2 ends with
//     an HMAC keyed by HMAC(full FMS key, client digest).
// A C1 whose version field is zero, or whose digest validates in neither scheme, gets the
// simple handshake. C2 is read and not checked: clients disagree about what it holds.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/result.h"
#include "core/slice.h"

namespace tidecast::ingest::rtmp {

inline constexpr uint8_t kRtmpVersion = 3;           // C0/S0; 6 would be RTMPE (refused)
inline constexpr size_t kHandshakeBlockSize = 1536;  // C1, C2, S1, S2

enum class HandshakeMode { kSimple, kDigestScheme0, kDigestScheme1 };

class Handshake {
 public:
  Handshake();

  // Feeds received bytes. Returns how many belong to the handshake (C0, C1, C2); bytes past
  // C2 are chunk-stream data and are left to the caller. Returns 0 once done(). Errors
  // (`rtmp.bad_version`, `rtmp.random_failed`) are final: later calls return them again.
  core::Result<size_t> consume(std::string_view bytes);

  // Bytes to send (S0, S1 and S2 together, as soon as C1 is in), moved out.
  core::SliceList takeOutput();

  bool done() const { return state_ == State::kDone; }
  // Which handshake was answered; meaningful once C1 has been read.
  HandshakeMode mode() const { return mode_; }

 private:
  enum class State { kC0, kC1, kC2, kDone, kFailed };

  core::Status answerC1();

  State state_ = State::kC0;
  HandshakeMode mode_ = HandshakeMode::kSimple;
  std::array<uint8_t, kHandshakeBlockSize> block_{};  // C1, then C2, as they arrive
  size_t filled_ = 0;
  core::SliceList output_;
  core::Error error_;
  std::chrono::steady_clock::time_point start_;
};

// The client side, simple handshake only: C0+C1 at construction, then S0, S1 and S2 are
// checked (version 3; S2 must echo C1's time and random bytes) and C2 echoes S1. For tests
// and the load generator.
class ClientHandshake {
 public:
  ClientHandshake();

  // Same contract as Handshake::consume: returns how many bytes were S0/S1/S2. Errors:
  // `rtmp.bad_version`, `rtmp.bad_s2`, `rtmp.random_failed`; all final.
  core::Result<size_t> consume(std::string_view bytes);

  // C0+C1 first, C2 after S2 has been checked.
  core::SliceList takeOutput();

  bool done() const { return state_ == State::kDone; }

 private:
  enum class State { kS0, kS1, kS2, kDone, kFailed };

  State state_ = State::kS0;
  std::array<uint8_t, kHandshakeBlockSize> c1_{};
  std::array<uint8_t, kHandshakeBlockSize> block_{};  // S1, then S2
  size_t filled_ = 0;
  core::SliceList output_;
  core::Slice c2_;  // built when S1 arrives, sent after S2 checks out
  core::Error error_;
};

}  // namespace tidecast::ingest::rtmp
