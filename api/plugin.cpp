#include "api/plugin.h"

#include <algorithm>

namespace tidecast::api {

namespace {

// The index of the plug-in offering `key`, or -1.
int offeredBy(const std::vector<std::unique_ptr<Plugin>>& plugins, const ServiceKey& key) {
  for (size_t i = 0; i < plugins.size(); ++i) {
    const auto offers = plugins[i]->offers();
    if (std::find(offers.begin(), offers.end(), key) != offers.end()) return static_cast<int>(i);
  }
  return -1;
}

core::Status checkOffers(const std::vector<std::unique_ptr<Plugin>>& plugins) {
  for (size_t i = 0; i < plugins.size(); ++i) {
    for (const ServiceKey& key : plugins[i]->offers()) {
      const int first = offeredBy(plugins, key);
      if (first != static_cast<int>(i)) {
        return core::makeError("plugin.duplicate_service",
                               "plug-ins '" + std::string(plugins[first]->name()) + "' and '" +
                                   std::string(plugins[i]->name()) + "' both offer " +
                                   std::string(key.name));
      }
    }
  }
  return {};
}

// "a -> b -> a" for the plug-ins left waiting on each other.
std::string describeCycle(const std::vector<std::unique_ptr<Plugin>>& plugins,
                          const std::vector<bool>& placed) {
  std::string out;
  for (size_t i = 0; i < plugins.size(); ++i) {
    if (placed[i]) continue;
    out += (out.empty() ? "" : ", ") + std::string(plugins[i]->name()) + " needs";
    for (const ServiceNeed& need : plugins[i]->needs()) {
      out += " " + std::string(need.key.name);
    }
  }
  return out;
}

}  // namespace

core::Status orderPlugins(std::vector<std::unique_ptr<Plugin>>& plugins) {
  if (auto status = checkOffers(plugins); !status) return status;
  // Each plug-in's providers, by index.
  std::vector<std::vector<int>> after(plugins.size());
  for (size_t i = 0; i < plugins.size(); ++i) {
    for (const ServiceNeed& need : plugins[i]->needs()) {
      const int provider = offeredBy(plugins, need.key);
      if (provider < 0 && need.optional) continue;
      if (provider < 0) {
        return core::makeError("plugin.missing_service",
                               "plug-in '" + std::string(plugins[i]->name()) + "' needs " +
                                   std::string(need.key.name) + ", which no plug-in offers");
      }
      after[i].push_back(provider);
    }
  }
  // Kahn's algorithm, always taking the first ready plug-in in the given order.
  std::vector<bool> placed(plugins.size(), false);
  std::vector<size_t> order;
  while (order.size() < plugins.size()) {
    size_t next = plugins.size();
    for (size_t i = 0; i < plugins.size() && next == plugins.size(); ++i) {
      const bool ready = !placed[i] && std::all_of(after[i].begin(), after[i].end(),
                                                   [&placed](int p) { return placed[p]; });
      if (ready) next = i;
    }
    if (next == plugins.size()) {
      return core::makeError("plugin.circular_need",
                             "plug-ins wait on each other: " + describeCycle(plugins, placed));
    }
    placed[next] = true;
    order.push_back(next);
  }
  std::vector<std::unique_ptr<Plugin>> ordered;
  for (size_t i : order) ordered.push_back(std::move(plugins[i]));
  plugins = std::move(ordered);
  return {};
}

}  // namespace tidecast::api
