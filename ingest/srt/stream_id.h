// The SRT stream id (SRTO_STREAMID, at most 512 bytes, sent by the caller in the handshake):
// which stream a connection publishes or plays. Two forms are accepted:
//   - the SRT access-control syntax "#!::r=app/key,m=publish|request,u=user,s=session"
//     (keys in any order; unknown keys such as t= or h= are ignored; m defaults to request,
//     as the SRT access-control document specifies);
//   - the plain "app/key", as OBS and most encoders send it, which publishes.
// A '?' in the resource starts a query ("live/k?token=x"), handed to the access authorizers
// like the query of an RTMP stream name. Pure functions: any thread.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace tidecast::ingest::srt {

inline constexpr size_t kMaxStreamIdBytes = 512;  // SRT's own limit on SRTO_STREAMID
inline constexpr size_t kMaxStreamIdKeys = 16;    // key=value pairs in the #!:: form

enum class StreamMode { kPublish, kRequest };

struct StreamId {
  StreamMode mode = StreamMode::kPublish;
  std::string app;
  std::string key;
  std::string query;    // after '?' in the resource, "" if none
  std::string user;     // u=
  std::string session;  // s=
};

// Error codes: srt.bad_stream_id (syntax, empty or missing resource, duplicate keys, too
// long), srt.bad_mode (m= other than publish/request).
core::Result<StreamId> parseStreamId(std::string_view text);

std::string_view modeName(StreamMode mode);  // "publish", "request"

}  // namespace tidecast::ingest::srt
