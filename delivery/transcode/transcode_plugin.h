// Runs the in-process ABR ladder (core/transcode) for the process and offers the Transcoder as
// a service: the LL-HLS playlists ask it which variants a stream lists, the admin API turns
// single streams on or off. Its renditions are streams of the hub like any other, so the CMAF
// plug-in packages them; mounted after it (it needs it), it is destroyed before it, and
// stopping its renditions still reaches live packagers.
#pragma once

#include <memory>

#include "api/plugin.h"
#include "core/transcode/transcoder.h"

namespace tidecast::delivery::transcode {

class TranscodePlugin final : public api::Plugin {
 public:
  TranscodePlugin();
  ~TranscodePlugin() override;
  std::string_view name() const override { return "transcode"; }
  std::vector<api::ServiceKey> offers() const override;
  std::vector<api::ServiceNeed> needs() const override;
  core::Status mount(api::PluginContext& context) override;

 private:
  std::unique_ptr<core::transcode::Transcoder> transcoder_;
};

}  // namespace tidecast::delivery::transcode
