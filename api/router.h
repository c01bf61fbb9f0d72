// Routes requests by method and path pattern. Patterns are '/'-separated segments, each a
// literal ("api"), a capture ("{app}"), a capture with a literal prefix and/or suffix
// ("{key}.flv", "part-{n}.m4s") or, last, a capture of the rest of the path ("{path*}").
// When several patterns match, the most specific wins segment by segment (literal, then
// prefixed/suffixed capture, then capture, then rest). A path that matches with another
// method gets 405 with Allow; nothing matching gets 404; OPTIONS answers CORS preflights;
// HEAD falls back to GET. Errors use the JSON error body.
//
// Built at start-up (add() throws std::invalid_argument on a malformed pattern); matching is
// const and runs on the loop.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/http_server.h"

namespace tidecast::api {

class Router {
 public:
  void add(std::string_view method, std::string_view pattern, HttpHandler handler);

  struct Match {
    const HttpHandler* handler = nullptr;  // set when status == 200
    int status = 404;                      // 200 matched, 404, 405, or 400 (undecodable path)
    std::string allow;                     // for 405 and OPTIONS: "GET, HEAD, OPTIONS"
    std::vector<std::pair<std::string, std::string>> params;
  };
  Match match(std::string_view method, std::string_view rawPath) const;

  // Matches and runs the handler, or answers the error / preflight itself.
  void dispatch(HttpRequest& request, const std::shared_ptr<HttpResponse>& response) const;

  // Every (method, pattern) registered, in registration order (for the API spec check).
  std::vector<std::pair<std::string, std::string>> routes() const;

 private:
  enum class Kind { kLiteral = 3, kAffixed = 2, kCapture = 1, kRest = 0 };
  struct Segment {
    Kind kind;
    std::string literal;  // kLiteral: the text; otherwise the capture's prefix
    std::string suffix;
    std::string name;
  };
  struct Route {
    std::string pattern;
    std::vector<Segment> segments;
    std::map<std::string, HttpHandler, std::less<>> handlers;  // by method
    std::vector<std::string> methods;                          // registration order
  };

  static std::vector<Segment> parsePattern(std::string_view pattern);
  static bool matchSegments(const Route& route, const std::vector<std::string>& parts,
                            std::vector<std::pair<std::string, std::string>>& params);
  static bool moreSpecific(const Route& a, const Route& b);
  static std::string allowHeader(const Route& route);

  std::vector<Route> routes_;
};

}  // namespace tidecast::api
