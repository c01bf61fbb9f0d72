#include "social/social_sections.h"

#include "social/social_config.h"
#include "social/store/redis_config.h"

namespace tidecast::social {

std::vector<const core::ConfigSection*> configSections() {
  return {&store::redisConfigSection(), &socialConfigSection()};
}

}  // namespace tidecast::social
