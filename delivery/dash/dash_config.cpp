#include "delivery/dash/dash_config.h"

namespace tidecast::delivery::dash {

const core::ConfigSection& dashConfigSection() {
  static const core::ConfigSection section =
      core::SectionBuilder<DashConfig>("dash", "LL-DASH manifests: /{app}/{key}/index.mpd.")
          .integer("latency_target_ms", &DashConfig::latencyTargetMs, 100, 60000, "ms",
                   core::Reload::kRestart,
                   "The live latency players aim for (MPD ServiceDescription Latency@target); min "
                   "is half of it, max three times it.")
          .build();
  return section;
}

}  // namespace tidecast::delivery::dash
