// Fuzzes the HTTP request path: bytes → HttpRequestParser (split at a fuzzer-chosen point,
// as TCP would deliver them, with small limits so the limit paths are reached) → Router.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "api/http_parser.h"
#include "api/router.h"

namespace {

const tidecast::api::Router& router() {
  static const tidecast::api::Router instance = [] {
    tidecast::api::Router r;
    auto noop = [](tidecast::api::HttpRequest&, const auto&) {};
    for (const char* pattern :
         {"/healthz", "/metrics", "/time", "/api/v1/streams", "/api/v1/streams/{id}",
          "/{app}/{key}/index.m3u8", "/{app}/{key}/{rendition}/part-{msn}.m4s", "/{app}/{key}.flv",
          "/watch/{app}/{key}", "/assets/{path*}"}) {
      r.add("GET", pattern, noop);
    }
    r.add("DELETE", "/api/v1/streams/{id}", noop);
    return r;
  }();
  return instance;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  size_t split = data[0] % (size);  // first byte picks where TCP splits the stream
  std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  tidecast::api::HttpRequestParser parser({.maxHeaderBytes = 2048, .maxBodyBytes = 4096});
  std::string_view pieces[2] = {input.substr(0, split),
                                input.substr(std::min(split, input.size()))};
  for (std::string_view piece : pieces) {
    while (!piece.empty()) {
      auto step = parser.parse(piece);
      piece.remove_prefix(step.consumed);
      if (step.state == tidecast::api::HttpRequestParser::State::kRequest) {
        auto request = parser.takeRequest();
        auto match = router().match(request.method, request.path);
        (void)match;
        (void)request.queryParam("_HLS_msn");
      } else if (step.state == tidecast::api::HttpRequestParser::State::kError) {
        return 0;
      } else {
        break;
      }
    }
  }
  return 0;
}
