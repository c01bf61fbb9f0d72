// Incremental UTF-8 validation for text that arrives in pieces (WebSocket text messages split
// across frames and reads): a sequence may start in one piece and end in the next, and an
// invalid byte is reported as soon as it is seen, not at the end of the message.
// A plain value; any thread, one instance per text being checked.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "core/utf8.h"

namespace tidecast::core {

class Utf8Validator {
 public:
  // Checks the next piece. Returns false once the text so far cannot be the beginning of
  // well-formed UTF-8 (and keeps returning false until reset()).
  bool feed(std::string_view piece) {
    if (failed_) return false;
    const auto* p = reinterpret_cast<const unsigned char*>(piece.data());
    const unsigned char* end = p + piece.size();
    while (p < end) {
      if (pending_ == 0) {
        p = skipAscii(p, end);
        if (p == end) break;
        const Utf8Lead lead = utf8Lead(*p++);
        if (lead.length == 0) return fail();
        pending_ = static_cast<uint8_t>(lead.length - 1);
        low_ = lead.secondLow;
        high_ = lead.secondHigh;
        continue;
      }
      if (*p < low_ || *p > high_) return fail();
      ++p;
      --pending_;
      low_ = 0x80;
      high_ = 0xbf;
    }
    return true;
  }

  // True when everything fed is well-formed and ends on a character boundary.
  bool complete() const { return !failed_ && pending_ == 0; }
  bool failed() const { return failed_; }
  void reset() { *this = Utf8Validator(); }

 private:
  bool fail() {
    failed_ = true;
    return false;
  }

  // Past a run of ASCII, eight bytes at a time (chat text is mostly ASCII).
  static const unsigned char* skipAscii(const unsigned char* p, const unsigned char* end) {
    while (end - p >= 8) {
      uint64_t word;
      std::memcpy(&word, p, sizeof word);
      if (word & 0x8080808080808080ULL) break;
      p += 8;
    }
    while (p < end && *p < 0x80) ++p;
    return p;
  }

  uint8_t pending_ = 0;  // continuation bytes still expected
  unsigned char low_ = 0x80;
  unsigned char high_ = 0xbf;
  bool failed_ = false;
};

}  // namespace tidecast::core
