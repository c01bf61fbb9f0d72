// LL-DASH delivery from memory: GET /{app}/{key}/index.mpd. The segments it addresses are
// the CMAF plug-in's (the one in progress streamed with chunked transfer, part by part).
#pragma once

#include <memory>

#include "api/plugin.h"
#include "delivery/cmaf/cmaf_plugin.h"

namespace tidecast::delivery::dash {

struct DashSettings {
  uint32_t latencyTargetMs = 1000;
};

class DashPlugin final : public api::Plugin {
 public:
  DashPlugin(cmaf::CmafPlugin& cmaf, DashSettings settings) : cmaf_(cmaf), settings_(settings) {}
  std::string_view name() const override { return "ll-dash"; }
  core::Status mount(api::PluginContext& context) override;

 private:
  void serveMpd(api::HttpRequest& request, const std::shared_ptr<api::HttpResponse>& response);

  cmaf::CmafPlugin& cmaf_;
  DashSettings settings_;
};

}  // namespace tidecast::delivery::dash
