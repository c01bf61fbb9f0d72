// An HTTP-FLV player: GET {path} HTTP/1.1, then the body (chunked, or until the connection
// closes) walked tag by tag. Only the 11-byte tag headers and the first two body bytes of each
// tag are looked at: enough to count audio/video bytes and coded video frames.
#include <algorithm>
#include <cctype>
#include <cstring>
#include <string>
#include <string_view>

#include "bench/load/player.h"

namespace tidecast::bench {
namespace {

constexpr size_t kMaxHeadBytes = 16 * 1024;
constexpr size_t kFlvFileHeaderBytes = 9 + 4;  // "FLV" header + PreviousTagSize0
constexpr size_t kTagHeaderBytes = 11;

bool containsNoCase(std::string_view haystack, std::string_view needle) {
  auto it = std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(),
                        [](char a, char b) {
                          return std::tolower(static_cast<unsigned char>(a)) ==
                                 std::tolower(static_cast<unsigned char>(b));
                        });
  return it != haystack.end();
}

// Walks an FLV byte stream fed in arbitrary pieces.
class FlvWalker {
 public:
  // onTag(type, bodySize, first two body bytes (0 when shorter))
  template <class OnTag>
  bool feed(std::string_view bytes, OnTag&& onTag) {
    while (!bytes.empty()) {
      if (skip_ > 0) {
        size_t n = std::min<size_t>(skip_, bytes.size());
        skip_ -= n;
        bytes.remove_prefix(n);
        continue;
      }
      size_t n = std::min(need_ - have_, bytes.size());
      std::memcpy(buf_ + have_, bytes.data(), n);
      have_ += n;
      bytes.remove_prefix(n);
      if (have_ < need_) return true;
      switch (state_) {
        case State::kFileHeader:
          if (std::memcmp(buf_, "FLV", 3) != 0) return false;
          state_ = State::kTagHeader;
          need_ = kTagHeaderBytes;
          break;
        case State::kTagHeader: {
          type_ = buf_[0] & 0x1F;
          size_ = (uint32_t{buf_[1]} << 16) | (uint32_t{buf_[2]} << 8) | buf_[3];
          if (size_ == 0) {
            onTag(type_, 0, uint8_t{0}, uint8_t{0});
            skip_ = 4;
            need_ = kTagHeaderBytes;
            break;
          }
          state_ = State::kTagStart;
          need_ = std::min<uint32_t>(size_, 2);
          break;
        }
        case State::kTagStart:
          onTag(type_, size_, buf_[0], need_ > 1 ? buf_[1] : uint8_t{0});
          skip_ = size_ - need_ + 4;  // rest of the body and PreviousTagSize
          state_ = State::kTagHeader;
          need_ = kTagHeaderBytes;
          break;
      }
      have_ = 0;
    }
    return true;
  }

 private:
  enum class State { kFileHeader, kTagHeader, kTagStart };
  State state_ = State::kFileHeader;
  uint8_t buf_[16] = {};
  size_t need_ = kFlvFileHeaderBytes;
  size_t have_ = 0;
  uint64_t skip_ = 0;
  uint8_t type_ = 0;
  uint32_t size_ = 0;
};

// Removes chunked transfer coding; hands on the data bytes.
class Dechunker {
 public:
  // Returns false on a framing error; sets done() on the last chunk.
  template <class OnData>
  bool feed(std::string_view bytes, OnData&& onData) {
    while (!bytes.empty() && !done_) {
      if (state_ == State::kData) {
        size_t n = static_cast<size_t>(std::min<uint64_t>(left_, bytes.size()));
        if (!onData(bytes.substr(0, n))) return false;
        left_ -= n;
        bytes.remove_prefix(n);
        if (left_ == 0) state_ = State::kDataEnd;
        continue;
      }
      char c = bytes.front();
      bytes.remove_prefix(1);
      if (state_ == State::kDataEnd) {  // CRLF after the data
        if (c == '\n') state_ = State::kSize;
        continue;
      }
      // kSize: hex digits, optional extensions, CRLF
      if (c == '\n') {
        if (!sawDigit_) return false;
        sawDigit_ = false;
        inExtension_ = false;
        if (left_ == 0) {
          done_ = true;
          return true;
        }
        state_ = State::kData;
        continue;
      }
      if (inExtension_ || c == '\r') continue;
      if (c == ';') {
        inExtension_ = true;
        continue;
      }
      int digit = std::isdigit(static_cast<unsigned char>(c)) ? c - '0'
                  : (c >= 'a' && c <= 'f')                    ? c - 'a' + 10
                  : (c >= 'A' && c <= 'F')                    ? c - 'A' + 10
                                                              : -1;
      if (digit < 0 || left_ > (uint64_t{1} << 40)) return false;
      left_ = left_ * 16 + static_cast<uint64_t>(digit);
      sawDigit_ = true;
    }
    return true;
  }
  bool done() const { return done_; }

 private:
  enum class State { kSize, kData, kDataEnd };
  State state_ = State::kSize;
  uint64_t left_ = 0;
  bool sawDigit_ = false;
  bool inExtension_ = false;
  bool done_ = false;
};

class FlvPlayer final : public StreamPlayer {
 public:
  FlvPlayer(core::Loop& loop, const Target& target, const PlayerOptions& options)
      : StreamPlayer(loop, target, options) {}

 private:
  void onOpen() override {
    stream_->write(core::Slice::copyOf(
        "GET " + target_.path + " HTTP/1.1\r\nHost: " + target_.host + ":" +
        std::to_string(target_.port) + "\r\nUser-Agent: tidecast-load\r\nAccept: */*\r\n\r\n"));
  }

  void onData(std::string_view bytes) override {
    if (stats_.failed) return;
    stats_.wireBytes += bytes.size();
    if (!headDone_) {
      size_t before = head_.size();
      head_.append(bytes.substr(0, kMaxHeadBytes + 4 - std::min(before, kMaxHeadBytes + 4)));
      size_t end = head_.find("\r\n\r\n");
      if (end == std::string::npos) {
        if (head_.size() > kMaxHeadBytes) fail("response head too large");
        return;
      }
      headDone_ = true;
      std::string_view head(head_.data(), end);
      // "HTTP/1.1 200 OK"
      if (head.size() < 12 || head.substr(9, 3) != "200") {
        return fail("http " + std::string(head.substr(0, std::min<size_t>(head.find('\r'), 40))));
      }
      chunked_ = containsNoCase(head, "\ntransfer-encoding: chunked");
      bytes.remove_prefix(end + 4 - before);
      head_.clear();
      head_.shrink_to_fit();
    }
    if (chunked_) {
      if (!dechunker_.feed(bytes, [this](std::string_view data) { return onBody(data); })) {
        return fail(stats_.failed ? stats_.error : std::string("bad chunked framing"));
      }
      if (dechunker_.done()) {
        stats_.ended = true;
        fail("body ended");
      }
      return;
    }
    onBody(bytes);
  }

  bool onBody(std::string_view data) {
    if (stats_.failed) return false;
    bool ok = walker_.feed(data, [this](uint8_t type, uint32_t size, uint8_t b0, uint8_t b1) {
      if (type == 9) {
        bool coded;
        bool key;
        if (b0 & 0x80) {
          uint8_t packetType = b0 & 0x0F;
          coded = packetType == 1 || packetType == 3;
          key = coded && ((b0 >> 4) & 0x07) == 1;
        } else {
          uint8_t codec = b0 & 0x0F;
          coded = (codec == 7 || codec == 12) ? (size > 1 && b1 == 1) : size > 0;
          key = coded && (b0 >> 4) == 1;
        }
        stats_.media(nowNs(), size, true, coded, key, options_.stallNs);
      } else if (type == 8 && size > 0) {
        stats_.media(nowNs(), size, false, true, false, options_.stallNs);
      }
    });
    if (!ok) fail("not an FLV stream");
    return ok;
  }

  std::string head_;
  bool headDone_ = false;
  bool chunked_ = false;
  Dechunker dechunker_;
  FlvWalker walker_;
};

}  // namespace

std::unique_ptr<Player> makeFlvPlayer(core::Loop& loop, const Target& target,
                                      const PlayerOptions& options) {
  return std::make_unique<FlvPlayer>(loop, target, options);
}

}  // namespace tidecast::bench
