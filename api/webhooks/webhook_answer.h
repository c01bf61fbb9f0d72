// What an on_publish webhook's 2xx answer may say: a JSON object {"stream": "<new key>"}
// renames the stream; an empty body, or a body that is not a JSON object, allows it as is.
// A JSON object whose "stream" is not a valid stream key, or JSON nested deeper than
// kMaxAnswerDepth, is webhook.bad_answer (the publish is denied). Pure function.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace tidecast::api::webhooks {

inline constexpr size_t kMaxAnswerDepth = 16;

// The new stream key, or nullopt to keep the one asked for.
core::Result<std::optional<std::string>> parsePublishAnswer(std::string_view body);

}  // namespace tidecast::api::webhooks
