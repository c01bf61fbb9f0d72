// Fuzz target: SRT stream ids (SRTO_STREAMID, sent by any caller in its handshake) through
// parseStreamId: a parsed id or a srt.* error, never a crash; a parsed id has both names and
// fits in what was sent.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ingest/srt/stream_id.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto id = tidecast::ingest::srt::parseStreamId(text);
  if (id) {
    if (id->app.empty() || id->key.empty()) std::abort();
    if (id->app.size() + id->key.size() + id->query.size() > size) std::abort();
  } else if (id.error().code != "srt.bad_stream_id" && id.error().code != "srt.bad_mode") {
    std::abort();
  }
  return 0;
}
