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

// What a lead byte announces: the sequence length (1 to 4, 0 when `lead` can start no
// well-formed sequence) and the allowed range of the second byte (RFC 3629, section 4: it
// excludes overlong forms, surrogates and code points past U+10FFFF).
struct Utf8Lead {
  size_t length = 0;
  unsigned char secondLow = 0x80;
  unsigned char secondHigh = 0xbf;
};

inline Utf8Lead utf8Lead(unsigned char lead) {
  if (lead < 0x80) return {1};
  if (lead >= 0xc2 && lead <= 0xdf) return {2};
  if (lead >= 0xe0 && lead <= 0xef) {
    return {3, static_cast<unsigned char>(lead == 0xe0 ? 0xa0 : 0x80),
            static_cast<unsigned char>(lead == 0xed ? 0x9f : 0xbf)};
  }
  if (lead >= 0xf0 && lead <= 0xf4) {
    return {4, static_cast<unsigned char>(lead == 0xf0 ? 0x90 : 0x80),
            static_cast<unsigned char>(lead == 0xf4 ? 0x8f : 0xbf)};
  }
  return {0};
}

// Length of the well-formed UTF-8 sequence starting at text[i] (1 to 4), or 0 when the bytes
// there are not valid UTF-8 (stray continuation bytes, overlong forms, surrogates, code
// points past U+10FFFF, truncated sequences). Requires i < text.size().
inline size_t utf8SequenceLength(std::string_view text, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[i + k]); };
  const Utf8Lead lead = utf8Lead(byte(0));
  if (lead.length <= 1) return lead.length;
  if (i + lead.length > text.size() || byte(1) < lead.secondLow || byte(1) > lead.secondHigh) {
    return 0;
  }
  for (size_t k = 2; k < lead.length; ++k) {
    if ((byte(k) & 0xc0) != 0x80) return 0;
  }
  return lead.length;
}

}  // namespace tidecast::core
