#include "delivery/delivery_sections.h"

#include "core/transcode/transcode_config.h"
#include "delivery/cmaf/cmaf_config.h"
#include "delivery/dash/dash_config.h"

namespace tidecast::delivery {

std::vector<const core::ConfigSection*> configSections() {
  // transcode: is core/transcode's section; the transcode plug-in (delivery/transcode) runs it.
  return {&cmaf::cmafConfigSection(), &dash::dashConfigSection(), &core::transcodeConfigSection()};
}

}  // namespace tidecast::delivery
