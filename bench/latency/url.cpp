#include "bench/latency/url.h"

namespace tidecast::bench::latency {

std::string resolveUrl(const std::string& base, const std::string& reference) {
  if (reference.find("://") != std::string::npos) return reference;
  size_t schemeEnd = base.find("://");
  size_t authorityStart = schemeEnd == std::string::npos ? 0 : schemeEnd + 3;
  size_t pathStart = base.find('/', authorityStart);
  if (pathStart == std::string::npos) pathStart = base.size();
  if (reference.rfind("//", 0) == 0) return base.substr(0, authorityStart - 2) + reference;
  if (reference.rfind('/', 0) == 0) return base.substr(0, pathStart) + reference;
  size_t pathEnd = base.find_first_of("?#", pathStart);
  std::string path = base.substr(0, pathEnd);
  size_t lastSlash = path.rfind('/');
  if (lastSlash == std::string::npos || lastSlash < pathStart) return path + "/" + reference;
  return path.substr(0, lastSlash + 1) + reference;
}

std::string withQuery(const std::string& url, const std::string& query) {
  return url + (url.find('?') == std::string::npos ? '?' : '&') + query;
}

}  // namespace tidecast::bench::latency
