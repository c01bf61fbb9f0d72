#include "delivery/hls/playlist_request.h"

#include <charconv>
#include <string>

namespace tidecast::delivery::hls {

namespace {

core::Error badRequest(std::string message) {
  return core::Error{"hls.bad_request", std::move(message)};
}

std::optional<uint64_t> number(std::string_view text) {
  uint64_t value = 0;
  if (text.empty() || text.size() > 18) return std::nullopt;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

core::Result<PlaylistRequest> parsePlaylistRequest(std::string_view query) {
  PlaylistRequest request;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    size_t eq = pair.find('=');
    std::string_view name = pair.substr(0, eq);
    std::string_view value =
        eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
    if (name == "_HLS_msn" || name == "_HLS_part") {
      auto parsed = number(value);
      if (!parsed) return badRequest(std::string(name) + " must be a decimal integer");
      (name == "_HLS_msn" ? request.msn : request.part) = parsed;
    } else if (name == "_HLS_skip") {
      if (value != "YES" && value != "v2") return badRequest("_HLS_skip must be YES or v2");
      request.skip = true;
    }
  }
  if (request.part && !request.msn) return badRequest("_HLS_part without _HLS_msn");
  return request;
}

}  // namespace tidecast::delivery::hls
