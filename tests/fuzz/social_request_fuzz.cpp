// Fuzzes what the follow graph's routes parse from the network: the PUT .../following/{target}
// body, the ?limit= parameter, user ids and page cursors. Accepted values must be in range.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "social/graph/graph_requests.h"
#include "social/store/graph_store.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto follow = tidecast::social::graph::parseFollowRequest(text);
  if (follow && text.size() > tidecast::social::graph::kMaxBodyBytes) std::abort();
  auto limit = tidecast::social::graph::parseLimit(std::string(text), 20, 100);
  if (limit && (*limit < 1 || *limit > 100)) std::abort();
  if (tidecast::social::store::validUserId(text) &&
      (text.empty() || text.size() > tidecast::social::store::kMaxUserIdBytes ||
       text.find_first_of("/{}:% \r\n") != std::string_view::npos)) {
    std::abort();
  }
  return 0;
}
