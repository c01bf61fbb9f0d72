// LL-DASH delivery from memory: GET /{app}/{key}/index.mpd. The segments it addresses are
// the CMAF plug-in's (the one in progress streamed with chunked transfer, part by part).
#pragma once

#include <memory>

#include "api/plugin.h"
#include "delivery/cmaf/cmaf_plugin.h"
#include "delivery/dash/dash_config.h"

namespace tidecast::delivery::dash {

class DashPlugin final : public api::Plugin {
 public:
  std::string_view name() const override { return "ll-dash"; }
  std::vector<api::ServiceNeed> needs() const override {
    return {{api::service<cmaf::CmafPlugin>()}};
  }
  core::Status mount(api::PluginContext& context) override;

 private:
  void serveMpd(api::HttpRequest& request, const std::shared_ptr<api::HttpResponse>& response);

  cmaf::CmafPlugin* cmaf_ = nullptr;
  DashConfig settings_;
};

}  // namespace tidecast::delivery::dash
