#include "social/store/graph_store.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <unordered_map>

namespace tidecast::social::store {

bool validUserId(std::string_view id) {
  if (id.empty() || id.size() > kMaxUserIdBytes) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '@' || c == '-';
  });
}

std::vector<Recommendation> rankRecommendations(const std::string& user,
                                                const std::vector<std::vector<std::string>>& lists,
                                                const std::vector<std::string>& exclude,
                                                uint32_t limit) {
  std::unordered_map<std::string_view, uint32_t> scores;
  for (const auto& list : lists) {
    for (const auto& candidate : list) {
      if (candidate == user || std::binary_search(exclude.begin(), exclude.end(), candidate)) {
        continue;
      }
      ++scores[candidate];
    }
  }
  std::vector<Recommendation> ranked;
  ranked.reserve(scores.size());
  for (const auto& [candidate, score] : scores) ranked.push_back({std::string(candidate), score});
  auto better = [](const Recommendation& a, const Recommendation& b) {
    return a.score != b.score ? a.score > b.score : a.user < b.user;
  };
  if (ranked.size() > limit) {
    std::partial_sort(ranked.begin(), ranked.begin() + limit, ranked.end(), better);
    ranked.resize(limit);
  } else {
    std::sort(ranked.begin(), ranked.end(), better);
  }
  return ranked;
}

std::string followEventPayload(std::string_view follower, std::string_view followee, bool notify) {
  return nlohmann::json{{"follower", follower}, {"followee", followee}, {"notify", notify}}.dump();
}

}  // namespace tidecast::social::store
