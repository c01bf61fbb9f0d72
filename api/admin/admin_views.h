// The JSON the admin API answers with: streams (live stats), sessions, stream keys, the
// server. Field names are the OpenAPI spec's (api/openapi.yaml).
#pragma once

#include <nlohmann/json.hpp>

#include "api/admin/stream_key_store.h"
#include "core/session_registry.h"
#include "core/stream_hub.h"

namespace tidecast::api::admin {

struct StreamRates {
  uint64_t bitrateOutBps = 0;  // payload bytes sent to this stream's players, per second
};

nlohmann::json streamView(core::StreamHub& hub, core::Stream& stream, const StreamRates& rates,
                          int64_t nowUnixMs);
nlohmann::json sessionView(const core::SessionRecord& session, int64_t nowUnixMs);
nlohmann::json keyView(const StreamKeyInfo& key);

}  // namespace tidecast::api::admin
