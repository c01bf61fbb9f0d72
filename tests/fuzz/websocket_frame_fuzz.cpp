// Fuzzes the WebSocket input path: bytes → WebSocketReader (frame headers, unmasking,
// reassembly of fragments with control frames between them, incremental UTF-8, limits small
// enough to reach). Checks, besides "no crash, no leak":
//   - the same bytes split at a fuzzer-chosen point (as TCP would deliver them) give the same
//     events and the same failure as the bytes fed at once;
//   - every text message is well-formed UTF-8 by the non-incremental check (core/utf8.h);
//   - messages and control payloads respect the limits, close codes are valid.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "api/websocket_reader.h"
#include "core/utf8.h"

namespace {

using tidecast::api::WebSocketEvent;
using tidecast::api::WebSocketLimits;
using tidecast::api::WebSocketReader;
using tidecast::api::WsOpcode;

constexpr WebSocketLimits kLimits{.maxFrameBytes = 4096, .maxMessageBytes = 8192};

struct Recorder : WebSocketReader::Sink {
  bool onEvent(WebSocketEvent& event) override {
    events.push_back(event);
    stopped = event.opcode == WsOpcode::kClose;  // a connection stops reading at a close
    return !stopped;
  }
  std::vector<WebSocketEvent> events;
  bool stopped = false;
};

void check(bool condition) {
  if (!condition) std::abort();
}

bool wellFormed(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    size_t length = tidecast::core::utf8SequenceLength(text, i);
    if (length == 0) return false;
    i += length;
  }
  return true;
}

// Feeds the pieces as a connection would: stops at a close or a failure.
void run(std::initializer_list<std::string_view> pieces, WebSocketReader& reader,
         Recorder& recorder) {
  for (std::string_view piece : pieces) {
    reader.feed(piece, recorder);
    if (reader.failure() || recorder.stopped) return;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  std::string_view input(reinterpret_cast<const char*>(data + 2), size - 2);
  const size_t split = (size_t{data[0]} << 8 | data[1]) % (input.size() + 1);

  WebSocketReader whole(kLimits);
  Recorder wholeEvents;
  run({input}, whole, wholeEvents);

  WebSocketReader pieces(kLimits);
  Recorder pieceEvents;
  run({input.substr(0, split), input.substr(split)}, pieces, pieceEvents);

  check(wholeEvents.events.size() == pieceEvents.events.size());
  for (size_t i = 0; i < wholeEvents.events.size(); ++i) {
    const WebSocketEvent& a = wholeEvents.events[i];
    const WebSocketEvent& b = pieceEvents.events[i];
    check(a.opcode == b.opcode && a.payload == b.payload && a.closeCode == b.closeCode);
    switch (a.opcode) {
      case WsOpcode::kText:
        check(wellFormed(a.payload));
        [[fallthrough]];
      case WsOpcode::kBinary:
        check(a.payload.size() <= kLimits.maxMessageBytes);
        break;
      case WsOpcode::kClose:
        check(a.closeCode == tidecast::api::ws_close::kNoStatus ||
              tidecast::api::isValidCloseCode(a.closeCode));
        check(wellFormed(a.payload));
        [[fallthrough]];
      default:
        check(a.payload.size() <= tidecast::api::kMaxControlPayload);
    }
  }
  check(whole.failure().has_value() == pieces.failure().has_value());
  if (whole.failure()) check(whole.failure()->closeCode == pieces.failure()->closeCode);
  return 0;
}
