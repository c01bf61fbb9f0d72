// Client-side frames for the WebSocket tests: masked (or deliberately not), any opcode, FIN
// and reserved bits as the test wants them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tidecast::api::testing {

struct ClientFrame {
  uint8_t opcode = 0x1;
  bool fin = true;
  bool masked = true;
  uint8_t rsv = 0;  // the three reserved bits, 0..7
  uint32_t mask = 0x37fa213d;
};

inline std::string clientFrame(std::string_view payload, ClientFrame f = {}) {
  std::string out;
  out.push_back(static_cast<char>((f.fin ? 0x80 : 0) | ((f.rsv & 7) << 4) | (f.opcode & 0x0F)));
  const uint8_t maskBit = f.masked ? 0x80 : 0;
  const uint64_t n = payload.size();
  if (n < 126) {
    out.push_back(static_cast<char>(maskBit | n));
  } else if (n <= 0xFFFF) {
    out.push_back(static_cast<char>(maskBit | 126));
    out.push_back(static_cast<char>(n >> 8));
    out.push_back(static_cast<char>(n & 0xFF));
  } else {
    out.push_back(static_cast<char>(maskBit | 127));
    for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xFF));
  }
  uint8_t key[4] = {static_cast<uint8_t>(f.mask >> 24), static_cast<uint8_t>(f.mask >> 16),
                    static_cast<uint8_t>(f.mask >> 8), static_cast<uint8_t>(f.mask)};
  if (f.masked) out.append(reinterpret_cast<const char*>(key), 4);
  for (size_t i = 0; i < payload.size(); ++i) {
    out.push_back(static_cast<char>(payload[i] ^ (f.masked ? key[i & 3] : 0)));
  }
  return out;
}

inline std::string closePayload(uint16_t code, std::string_view reason = {}) {
  std::string out{static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)};
  out.append(reason);
  return out;
}

}  // namespace tidecast::api::testing
