// HTTP-FLV: GET /{app}/{key}.flv streams a live stream as an FLV file with chunked transfer
// encoding (ffplay, mpegts.js, flv.js). Each viewer is a StreamSink of its own: it starts from
// the cached GOP, gets every packet as [framing + shared payload slices], and falls behind
// only as far as the backlog policy allows before it skips to a keyframe or is dropped.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "api/plugin.h"
#include "core/backlog_policy.h"
#include "core/graveyard.h"
#include "delivery/flv/flv_writer.h"

namespace tidecast::delivery::flv {

class FlvViewer;

class FlvPlugin final : public api::Plugin {
 public:
  FlvPlugin();
  ~FlvPlugin() override;
  std::string_view name() const override { return "http-flv"; }
  core::Status mount(api::PluginContext& context) override;

  // Used by viewers.
  FramingCache& framing() { return framing_; }
  core::StreamHub& hub() { return *hub_; }
  void release(FlvViewer& viewer);

 private:
  void play(api::HttpRequest& request, const std::shared_ptr<api::HttpResponse>& response);
  void startViewer(const std::string& app, const std::string& key, const std::string& peer,
                   const std::shared_ptr<api::HttpResponse>& response);

  core::BacklogLimits limits_;
  core::StreamHub* hub_ = nullptr;
  FramingCache framing_;
  std::unordered_map<FlvViewer*, std::unique_ptr<FlvViewer>> viewers_;
  std::unique_ptr<core::Graveyard<FlvViewer>> graveyard_;  // released viewers, freed next turn
};

}  // namespace tidecast::delivery::flv
