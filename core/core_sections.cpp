#include "core/core_sections.h"

#include "core/data_dir_config.h"
#include "core/log_config.h"
#include "core/stream_hub_config.h"

namespace tidecast::core {

std::vector<const ConfigSection*> configSections() {
  return {&dataDirConfigSection(), &logConfigSection(), &appsConfigSection(),
          &streamsConfigSection()};
}

}  // namespace tidecast::core
