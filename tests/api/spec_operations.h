// The operations api/openapi.yaml documents, as "METHOD /path" (the spec<->routes tests of
// the admin API and of the social graph).
#pragma once

#include <yaml-cpp/yaml.h>

#include <cctype>
#include <set>
#include <string>

#include "api/admin/admin_plugin.h"

namespace tidecast::api::testing {

inline std::set<std::string> specOperations() {
  YAML::Node spec = YAML::Load(std::string(admin::openApiSpec()));
  std::set<std::string> out;
  for (const auto& path : spec["paths"]) {
    for (const auto& op : path.second) {
      std::string method = op.first.as<std::string>();
      if (method == "parameters" || method == "summary" || method == "description") continue;
      for (auto& c : method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      out.insert(method + " " + path.first.as<std::string>());
    }
  }
  return out;
}

}  // namespace tidecast::api::testing
