#include "ingest/srt/stream_id.h"

#include <algorithm>
#include <array>

namespace tidecast::ingest::srt {

namespace {

constexpr std::string_view kAccessControlPrefix = "#!::";

core::Error badId(std::string message) {
  return core::makeError("srt.bad_stream_id", std::move(message));
}

bool printable(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u >= 0x20 && u < 0x7f;
  });
}

// "app/key?query" into the id. The names themselves are checked by the hub later.
core::Status splitResource(std::string_view resource, StreamId& id) {
  size_t question = resource.find('?');
  if (question != std::string_view::npos) {
    id.query = std::string(resource.substr(question + 1));
    resource = resource.substr(0, question);
  }
  size_t slash = resource.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == resource.size()) {
    return badId("the resource must be app/key");
  }
  id.app = std::string(resource.substr(0, slash));
  id.key = std::string(resource.substr(slash + 1));
  if (id.key.find('/') != std::string::npos) return badId("the resource must be app/key");
  return {};
}

core::Result<StreamId> parseAccessControl(std::string_view body) {
  StreamId id;
  id.mode = StreamMode::kRequest;  // the access-control default
  std::array<bool, 4> seen{};      // r, m, u, s
  bool haveResource = false;
  size_t pairs = 0;
  while (!body.empty()) {
    size_t comma = body.find(',');
    std::string_view pair = body.substr(0, comma);
    body = comma == std::string_view::npos ? std::string_view() : body.substr(comma + 1);
    if (++pairs > kMaxStreamIdKeys) return badId("too many keys");
    size_t equals = pair.find('=');
    if (equals == std::string_view::npos || equals == 0) return badId("a key without '='");
    std::string_view key = pair.substr(0, equals);
    std::string_view value = pair.substr(equals + 1);
    int slot = key == "r" ? 0 : key == "m" ? 1 : key == "u" ? 2 : key == "s" ? 3 : -1;
    if (slot < 0) continue;  // t=, h= and custom keys: not ours to judge
    if (seen[slot]) return badId("duplicate key '" + std::string(key) + "'");
    seen[slot] = true;
    if (slot == 0) {
      if (auto status = splitResource(value, id); !status) return status.error();
      haveResource = true;
    } else if (slot == 1) {
      if (value == "publish") {
        id.mode = StreamMode::kPublish;
      } else if (value == "request") {
        id.mode = StreamMode::kRequest;
      } else {
        return core::makeError("srt.bad_mode", "mode '" + std::string(value) +
                                                   "' is not supported (publish or request)");
      }
    } else if (slot == 2) {
      id.user = std::string(value);
    } else {
      id.session = std::string(value);
    }
  }
  if (!haveResource) return badId("no r= resource");
  return id;
}

}  // namespace

core::Result<StreamId> parseStreamId(std::string_view text) {
  if (text.empty()) return badId("empty stream id");
  if (text.size() > kMaxStreamIdBytes) return badId("stream id longer than 512 bytes");
  if (!printable(text)) return badId("stream id with non-printable bytes");
  if (text.starts_with(kAccessControlPrefix)) {
    return parseAccessControl(text.substr(kAccessControlPrefix.size()));
  }
  if (text.starts_with("#!")) return badId("unknown #! syntax");
  StreamId id;
  id.mode = StreamMode::kPublish;
  if (auto status = splitResource(text, id); !status) return status.error();
  return id;
}

std::string_view modeName(StreamMode mode) {
  return mode == StreamMode::kPublish ? "publish" : "request";
}

}  // namespace tidecast::ingest::srt
