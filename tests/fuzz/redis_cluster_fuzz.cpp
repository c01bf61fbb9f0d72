// Fuzzes what RedisClient reads from a Redis Cluster (social/store/redis_cluster_slots.h). The
// first byte picks a mode:
//   0  the rest is an error reply's text: parseRedirect (-MOVED / -ASK)
//   1  the rest is a CLUSTER SLOTS reply, decoded below into a RedisValue tree: parseClusterSlots
//   2  the rest is a command, arguments split at '\n': commandKey, then the key's slot
// A parsed redirect or slot range must be in range; nothing may crash or leak.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "social/store/redis_cluster_slots.h"

namespace {

using tidecast::social::store::RedisValue;

// A small byte code for reply trees: 'a' n (array of the next n values, n a byte), 'i' int
// (8 bytes), 's' len text, 'n' nil; anything else ends. Depth and size are bounded.
struct Decoder {
  std::string_view in;
  size_t values = 0;

  bool take(size_t n, std::string_view& out) {
    if (in.size() < n) return false;
    out = in.substr(0, n);
    in.remove_prefix(n);
    return true;
  }

  RedisValue value(int depth) {
    RedisValue v;
    std::string_view tag;
    if (depth > 8 || ++values > 4096 || !take(1, tag)) return v;
    std::string_view bytes;
    switch (tag[0]) {
      case 'a':
        v.type = RedisValue::Type::kArray;
        if (take(1, bytes)) {
          for (int i = 0; i < static_cast<uint8_t>(bytes[0]) && !in.empty(); ++i) {
            v.elements.push_back(value(depth + 1));
          }
        }
        break;
      case 'i':
        v.type = RedisValue::Type::kInteger;
        if (take(8, bytes)) {
          uint64_t x = 0;
          for (char c : bytes) x = x << 8 | static_cast<uint8_t>(c);
          v.integer = static_cast<int64_t>(x);
        }
        break;
      case 's':
        v.type = RedisValue::Type::kString;
        if (take(1, bytes)) {
          std::string_view text;
          take(std::min<size_t>(static_cast<uint8_t>(bytes[0]), in.size()), text);
          v.text = std::string(text);
        }
        break;
      default:
        break;
    }
    return v;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  namespace s = tidecast::social::store;
  switch (data[0] % 3) {
    case 0:
      if (auto r = s::parseRedirect(rest)) {
        if (r->slot >= s::kClusterSlots || r->port == 0) std::abort();
      }
      break;
    case 1: {
      Decoder decoder{rest};
      RedisValue reply = decoder.value(0);
      if (auto ranges = s::parseClusterSlots(reply)) {
        for (const auto& r : *ranges) {
          if (r.first > r.last || r.last >= s::kClusterSlots || r.port == 0) std::abort();
        }
      }
      break;
    }
    case 2: {
      std::vector<std::string> args;
      size_t start = 0;
      while (start <= rest.size() && args.size() < 64) {
        size_t end = rest.find('\n', start);
        if (end == std::string_view::npos) end = rest.size();
        args.emplace_back(rest.substr(start, end - start));
        start = end + 1;
      }
      if (auto key = s::commandKey(args)) {
        if (s::keySlot(*key) >= s::kClusterSlots) std::abort();
      }
      break;
    }
  }
  return 0;
}
