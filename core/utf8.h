// UTF-8 well-formedness check shared by the log's JSON lines and the metrics' label values:
// both outputs must be valid UTF-8 (log shippers and Prometheus reject the whole line or
// scrape otherwise) while their inputs may carry raw bytes from the network.
// Pure functions, safe from any thread.
#pragma once

#include <cstddef>
#include <string_view>

namespace tidecast::core {

// U+FFFD, the replacement for bytes that are not well-formed UTF-8.
inline constexpr std::string_view kUtf8Replacement = "\xef\xbf\xbd";

// Length of the well-formed UTF-8 sequence starting at text[i] (1 to 4), or 0 when the bytes
// there are not valid UTF-8 (stray continuation bytes, overlong forms, surrogates, code
// points past U+10FFFF, truncated sequences). Requires i < text.size().
inline size_t utf8SequenceLength(std::string_view text, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[i + k]); };
  const unsigned char lead = byte(0);
  if (lead < 0x80) return 1;
  size_t length = 0;
  unsigned char low = 0x80;  // allowed range of the second byte (RFC 3629, section 4)
  unsigned char high = 0xbf;
  if (lead >= 0xc2 && lead <= 0xdf) {
    length = 2;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
    low = lead == 0xe0 ? 0xa0 : low;
    high = lead == 0xed ? 0x9f : high;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
    low = lead == 0xf0 ? 0x90 : low;
    high = lead == 0xf4 ? 0x8f : high;
  } else {
    return 0;
  }
  if (i + length > text.size() || byte(1) < low || byte(1) > high) return 0;
  for (size_t k = 2; k < length; ++k) {
    if ((byte(k) & 0xc0) != 0x80) return 0;
  }
  return length;
}

}  // namespace tidecast::core
