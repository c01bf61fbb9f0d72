#include "social/store/redis_cluster_slots.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace tidecast::social::store {

namespace {

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::toupper(static_cast<unsigned char>(x)) ==
                  std::toupper(static_cast<unsigned char>(y));
         });
}

template <class T>
std::optional<T> parseNumber(std::string_view text) {
  T value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// Commands whose args[1] is not a key.
constexpr std::string_view kKeyless[] = {"PING",    "ECHO",     "SCAN",    "SCRIPT",    "CLUSTER",
                                         "INFO",    "TIME",     "ASKING",  "CLIENT",    "CONFIG",
                                         "DBSIZE",  "FLUSHALL", "FLUSHDB", "RANDOMKEY", "KEYS",
                                         "PUBLISH", "FUNCTION", "MULTI",   "EXEC",      "READONLY"};
constexpr std::string_view kScripts[] = {"EVAL",       "EVALSHA", "EVAL_RO",
                                         "EVALSHA_RO", "FCALL",   "FCALL_RO"};

}  // namespace

uint16_t crc16(std::string_view data) {
  uint16_t crc = 0;
  for (char c : data) {
    crc ^= static_cast<uint16_t>(static_cast<uint8_t>(c)) << 8;
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc & 0x8000) ? static_cast<uint16_t>((crc << 1) ^ 0x1021)
                           : static_cast<uint16_t>(crc << 1);
    }
  }
  return crc;
}

uint16_t keySlot(std::string_view key) {
  size_t open = key.find('{');
  if (open != std::string_view::npos) {
    size_t close = key.find('}', open + 1);
    if (close != std::string_view::npos && close > open + 1) {
      key = key.substr(open + 1, close - open - 1);
    }
  }
  return crc16(key) & (kClusterSlots - 1);
}

std::optional<std::string_view> commandKey(const std::vector<std::string>& args) {
  if (args.size() < 2) return std::nullopt;
  const std::string& name = args[0];
  for (std::string_view script : kScripts) {
    if (!equalsIgnoreCase(name, script)) continue;
    auto numkeys = parseNumber<uint32_t>(args.size() > 2 ? args[2] : "");
    if (!numkeys || *numkeys == 0 || args.size() < 4) return std::nullopt;
    return args[3];
  }
  for (std::string_view keyless : kKeyless) {
    if (equalsIgnoreCase(name, keyless)) return std::nullopt;
  }
  return args[1];
}

std::optional<std::vector<SlotRange>> parseClusterSlots(const RedisValue& reply) {
  if (reply.type != RedisValue::Type::kArray) return std::nullopt;
  std::vector<SlotRange> ranges;
  for (const RedisValue& range : reply.elements) {
    const auto& e = range.elements;
    if (range.type != RedisValue::Type::kArray || e.size() < 3 ||
        e[0].type != RedisValue::Type::kInteger || e[1].type != RedisValue::Type::kInteger ||
        e[2].type != RedisValue::Type::kArray || e[2].elements.size() < 2) {
      return std::nullopt;
    }
    int64_t first = e[0].integer;
    int64_t last = e[1].integer;
    int64_t port = integerOf(e[2].elements[1]);
    if (first < 0 || last < first || last >= kClusterSlots || port <= 0 || port > 65535) {
      return std::nullopt;
    }
    std::string host = e[2].elements[0].text;
    if (host == "?") host.clear();
    ranges.push_back(SlotRange{static_cast<uint16_t>(first), static_cast<uint16_t>(last),
                               std::move(host), static_cast<uint16_t>(port)});
  }
  return ranges;
}

std::optional<Redirect> parseRedirect(std::string_view error) {
  Redirect redirect;
  if (error.starts_with("MOVED ")) {
    error.remove_prefix(6);
  } else if (error.starts_with("ASK ")) {
    redirect.ask = true;
    error.remove_prefix(4);
  } else {
    return std::nullopt;
  }
  size_t space = error.find(' ');
  size_t colon = error.rfind(':');
  if (space == std::string_view::npos || colon == std::string_view::npos || colon < space) {
    return std::nullopt;
  }
  auto slot = parseNumber<uint16_t>(error.substr(0, space));
  auto port = parseNumber<uint16_t>(error.substr(colon + 1));
  if (!slot || *slot >= kClusterSlots || !port || *port == 0) return std::nullopt;
  redirect.slot = *slot;
  redirect.host = std::string(error.substr(space + 1, colon - space - 1));
  redirect.port = *port;
  return redirect;
}

}  // namespace tidecast::social::store
