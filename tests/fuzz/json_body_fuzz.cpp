// Fuzzes the JSON bodies tidecast parses from the network: the on_publish webhook answer
// ({"stream": "<new key>"}) and the admin API's POST /api/v1/keys body. A rename must be a valid
// stream key; the webhook body built around arbitrary query bytes must always be valid JSON.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string_view>

#include "api/admin/admin_requests.h"
#include "api/webhooks/webhook_answer.h"
#include "api/webhooks/webhooks_plugin.h"
#include "core/stream_hub.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto answer = tidecast::api::webhooks::parsePublishAnswer(text);
  if (answer && answer->has_value() && !tidecast::core::StreamHub::streamName("live", **answer)) {
    std::abort();
  }
  std::string body = tidecast::api::webhooks::webhookBody("on_publish", "live/key", 1, "rtmp",
                                                          "127.0.0.1:1", text, text, 0);
  if (nlohmann::json::parse(body, nullptr, false).is_discarded()) std::abort();
  auto key = tidecast::api::admin::parseCreateKeyRequest(text);
  if (key && (!tidecast::core::StreamHub::streamName(key->app, "k") ||
              key->label.size() > tidecast::api::admin::kMaxLabelBytes)) {
    std::abort();
  }
  auto transcode = tidecast::api::admin::parseTranscodeRequest(text);
  if (transcode && transcode->ladder.size() > tidecast::api::admin::kMaxLadderNameBytes) {
    std::abort();
  }
  return 0;
}
