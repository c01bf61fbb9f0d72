// The top-level `data_dir:` key: where persistent state lives (SQLite files, generated
// tokens). Read by every room that stores something.
#pragma once

#include <string>

#include "core/config.h"

namespace tidecast::core {

struct DataDirConfig {
  std::string path = "data";
  bool operator==(const DataDirConfig&) const = default;
};

const ConfigSection& dataDirConfigSection();

}  // namespace tidecast::core
