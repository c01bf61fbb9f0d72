#include "api/router.h"

#include <stdexcept>

#include "api/json_error.h"

namespace tidecast::api {

namespace {
std::vector<std::string_view> splitPath(std::string_view path) {
  std::vector<std::string_view> parts;
  if (path.empty() || path[0] != '/') return parts;
  parts.reserve(8);
  path.remove_prefix(1);
  while (true) {
    size_t slash = path.find('/');
    parts.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return parts;
}
}  // namespace

std::vector<Router::Segment> Router::parsePattern(std::string_view pattern) {
  if (pattern.empty() || pattern[0] != '/') {
    throw std::invalid_argument("route pattern must start with '/': " + std::string(pattern));
  }
  std::vector<Segment> segments;
  auto parts = splitPath(pattern);
  for (size_t i = 0; i < parts.size(); ++i) {
    std::string_view part = parts[i];
    size_t open = part.find('{');
    if (open == std::string_view::npos) {
      segments.push_back({Kind::kLiteral, std::string(part), "", ""});
      continue;
    }
    size_t close = part.find('}', open);
    if (close == std::string_view::npos || close == open + 1 ||
        part.find('{', open + 1) != std::string_view::npos) {
      throw std::invalid_argument("malformed capture in route pattern: " + std::string(pattern));
    }
    std::string name(part.substr(open + 1, close - open - 1));
    Segment segment{Kind::kCapture, std::string(part.substr(0, open)),
                    std::string(part.substr(close + 1)), name};
    if (name.back() == '*') {
      if (i + 1 != parts.size() || open != 0 || close + 1 != part.size()) {
        throw std::invalid_argument("{rest*} must be a whole, last segment: " +
                                    std::string(pattern));
      }
      segment.kind = Kind::kRest;
      segment.name.pop_back();
    } else if (!segment.literal.empty() || !segment.suffix.empty()) {
      segment.kind = Kind::kAffixed;
    }
    segments.push_back(std::move(segment));
  }
  return segments;
}

void Router::add(std::string_view method, std::string_view pattern, HttpHandler handler) {
  auto segments = parsePattern(pattern);
  Route* route = nullptr;
  for (auto& existing : routes_) {
    if (existing.pattern == pattern) route = &existing;
  }
  if (route == nullptr) {
    routes_.push_back(Route{std::string(pattern), std::move(segments), {}, {}});
    route = &routes_.back();
  }
  if (route->handlers.count(method)) {
    throw std::invalid_argument("route registered twice: " + std::string(method) + " " +
                                std::string(pattern));
  }
  route->handlers.emplace(std::string(method), std::move(handler));
  route->methods.emplace_back(method);
}

bool Router::matchSegments(const Route& route, const std::vector<std::string>& parts,
                           std::vector<std::pair<std::string, std::string>>& params) {
  const auto& segments = route.segments;
  bool rest = !segments.empty() && segments.back().kind == Kind::kRest;
  if (rest ? parts.size() < segments.size() : parts.size() != segments.size()) return false;
  params.clear();
  for (size_t i = 0; i < segments.size(); ++i) {
    const Segment& s = segments[i];
    const std::string& part = parts[i];
    switch (s.kind) {
      case Kind::kLiteral:
        if (part != s.literal) return false;
        break;
      case Kind::kRest: {
        std::string joined;
        for (size_t j = i; j < parts.size(); ++j) {
          if (parts[j].empty()) return false;
          joined += (j == i ? "" : "/") + parts[j];
        }
        params.emplace_back(s.name, std::move(joined));
        return true;
      }
      case Kind::kCapture:
      case Kind::kAffixed: {
        size_t fixed = s.literal.size() + s.suffix.size();
        if (part.size() <= fixed || part.compare(0, s.literal.size(), s.literal) != 0 ||
            part.compare(part.size() - s.suffix.size(), s.suffix.size(), s.suffix) != 0) {
          return false;
        }
        params.emplace_back(s.name, part.substr(s.literal.size(), part.size() - fixed));
        break;
      }
    }
  }
  return true;
}

bool Router::moreSpecific(const Route& a, const Route& b) {
  size_t n = std::min(a.segments.size(), b.segments.size());
  for (size_t i = 0; i < n; ++i) {
    if (a.segments[i].kind != b.segments[i].kind) {
      return static_cast<int>(a.segments[i].kind) > static_cast<int>(b.segments[i].kind);
    }
  }
  return a.segments.size() > b.segments.size();
}

std::string Router::allowHeader(const Route& route) {
  std::string allow;
  auto addMethod = [&](std::string_view m) {
    if (allow.find(m) != std::string::npos) return;
    if (!allow.empty()) allow += ", ";
    allow += m;
  };
  for (const auto& m : route.methods) {
    addMethod(m);
    if (m == "GET") addMethod("HEAD");
  }
  addMethod("OPTIONS");
  return allow;
}

Router::Match Router::match(std::string_view method, std::string_view rawPath) const {
  Match result;
  std::vector<std::string> parts;
  parts.reserve(8);
  for (std::string_view raw : splitPath(rawPath)) {
    if (raw.find('%') == std::string_view::npos) {
      parts.emplace_back(raw);
      continue;
    }
    auto decoded = percentDecode(raw);
    if (!decoded) {
      result.status = 400;
      return result;
    }
    parts.push_back(std::move(*decoded));
  }
  const Route* best = nullptr;
  std::vector<std::pair<std::string, std::string>> params;
  for (const auto& route : routes_) {
    if (!matchSegments(route, parts, params)) continue;
    if (best == nullptr || moreSpecific(route, *best)) {
      best = &route;
      result.params.swap(params);  // matchSegments clears `params` for the next route
    }
  }
  if (best == nullptr) return result;
  auto it = best->handlers.find(method);
  if (it == best->handlers.end() && method == "HEAD") it = best->handlers.find("GET");
  if (it == best->handlers.end()) {
    result.status = 405;
    result.allow = allowHeader(*best);
    return result;
  }
  result.status = 200;
  result.handler = &it->second;
  return result;
}

void Router::dispatch(HttpRequest& request, const std::shared_ptr<HttpResponse>& response) const {
  Match m = match(request.method, request.path);
  if (m.status == 200) {
    request.params = std::move(m.params);
    (*m.handler)(request, response);
    return;
  }
  if (m.status == 405 && request.method == "OPTIONS") {
    const std::string* asked = request.header("access-control-request-headers");
    response->send(
        204, {{"Allow", m.allow},
              {"Access-Control-Allow-Methods", m.allow},
              {"Access-Control-Allow-Headers", asked ? *asked : "Authorization, Content-Type"},
              {"Access-Control-Max-Age", "600"}});
    return;
  }
  switch (m.status) {
    case 400:
      sendJsonError(*response, 400, "bad_path", "the request path is not valid percent-encoding");
      return;
    case 405:
      sendJsonError(*response, 405, "method_not_allowed",
                    request.method + " is not allowed on " + request.path, {{"Allow", m.allow}});
      return;
    default:
      sendJsonError(*response, 404, "not_found",
                    "no route for " + request.method + " " + request.path);
      return;
  }
}

std::vector<std::pair<std::string, std::string>> Router::routes() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& route : routes_) {
    for (const auto& m : route.methods) out.emplace_back(m, route.pattern);
  }
  return out;
}

}  // namespace tidecast::api
