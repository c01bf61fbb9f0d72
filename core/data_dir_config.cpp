#include "core/data_dir_config.h"

namespace tidecast::core {

const ConfigSection& dataDirConfigSection() {
  static const ConfigSection section =
      SectionBuilder<DataDirConfig>("data_dir",
                                    "Directory for persistent state (the embedded SQLite "
                                    "databases, the generated admin token); created at start.")
          .text("", &DataDirConfig::path, SectionBuilder<DataDirConfig>::Empty::kRejected,
                Reload::kRestart, "A path, relative to the working directory or absolute.")
          .build();
  return section;
}

}  // namespace tidecast::core
