#include "core/stream_name.h"

#include "core/sha256.h"

namespace tidecast::core {

std::string publicStreamKey(std::string_view key) {
  return "k-" + sha256Hex(key).substr(0, kPublicKeyHexDigits);
}

std::string publicStreamName(std::string_view name) {
  if (name.empty()) return {};
  size_t slash = name.find('/');
  if (slash == std::string_view::npos) return publicStreamKey(name);
  std::string_view app = name.substr(0, slash + 1);  // with its '/'
  std::string_view rest = name.substr(slash + 1);
  size_t keyEnd = rest.find('/');
  std::string_view key = rest.substr(0, keyEnd);
  std::string_view rung =
      keyEnd == std::string_view::npos ? std::string_view() : rest.substr(keyEnd);
  return std::string(app) + publicStreamKey(key) + std::string(rung);
}

}  // namespace tidecast::core
