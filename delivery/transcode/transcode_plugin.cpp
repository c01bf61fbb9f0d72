#include "delivery/transcode/transcode_plugin.h"

#include "delivery/cmaf/cmaf_plugin.h"

namespace tidecast::delivery::transcode {

TranscodePlugin::TranscodePlugin() = default;
TranscodePlugin::~TranscodePlugin() = default;

std::vector<api::ServiceKey> TranscodePlugin::offers() const {
  return {api::service<core::TranscodeControl>()};
}

std::vector<api::ServiceNeed> TranscodePlugin::needs() const {
  return {{api::service<cmaf::CmafPlugin>()}};
}

core::Status TranscodePlugin::mount(api::PluginContext& context) {
  transcoder_ = std::make_unique<core::transcode::Transcoder>(
      context.loop, context.hub, context.config.get<core::TranscodeConfig>());
  context.services.offer<core::TranscodeControl>(*transcoder_);
  return {};
}

}  // namespace tidecast::delivery::transcode
