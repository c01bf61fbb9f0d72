// Micro-benchmarks for api/: what every HTTP request pays before its handler runs — parsing
// the request head (llhttp plus our callbacks) and routing it. main() comes from
// benchmark_main.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "api/http_parser.h"
#include "api/http_request.h"
#include "api/http_response.h"
#include "api/router.h"

namespace tidecast::api {
namespace {

// A player fetching an LL-HLS part, as a browser (hls.js) sends it: ~200 bytes, 5 headers.
constexpr std::string_view kSimpleGet =
    "GET /live/stream1/720p/part-1234.5.m4s HTTP/1.1\r\n"
    "Host: 127.0.0.1:8080\r\n"
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:126.0) Gecko/20100101 Firefox/126.0\r\n"
    "Accept: */*\r\n"
    "Accept-Encoding: gzip, deflate\r\n"
    "Connection: keep-alive\r\n"
    "\r\n";

// A browser request to the API with the usual baggage: 20 headers, ~900 bytes.
constexpr std::string_view kManyHeaders =
    "GET /api/v1/streams/live%2Fstream1?fields=viewers,bitrate HTTP/1.1\r\n"
    "Host: tidecast.example.com\r\n"
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:126.0) Gecko/20100101 Firefox/126.0\r\n"
    "Accept: application/json, text/plain, */*\r\n"
    "Accept-Language: en-US,en;q=0.9,fr;q=0.8\r\n"
    "Accept-Encoding: gzip, deflate, br\r\n"
    "Referer: https://tidecast.example.com/admin/streams\r\n"
    "Origin: https://tidecast.example.com\r\n"
    "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.c2lnbmF0dXJlc2lnbmF0dXJl\r\n"
    "Cookie: session=5f2b1c9e8a7d4e3f; theme=dark; lang=en\r\n"
    "Connection: keep-alive\r\n"
    "Cache-Control: no-cache\r\n"
    "Pragma: no-cache\r\n"
    "Sec-Fetch-Dest: empty\r\n"
    "Sec-Fetch-Mode: cors\r\n"
    "Sec-Fetch-Site: same-origin\r\n"
    "DNT: 1\r\n"
    "X-Request-Id: 9c1d7a52-3f0e-4b8a-a7f1-2d6e5c4b3a21\r\n"
    "X-Forwarded-For: 203.0.113.7\r\n"
    "X-Forwarded-Proto: https\r\n"
    "If-None-Match: \"33a64df551425fcc55e4d42a148795d9f25f89d4\"\r\n"
    "\r\n";

// What wrk sends for the peer comparison (bench/peer_http.sh).
constexpr std::string_view kWrkHealthz =
    "GET /healthz HTTP/1.1\r\n"
    "Host: 127.0.0.1:8080\r\n"
    "\r\n";

HttpParseLimits benchLimits() { return HttpParseLimits{16 * 1024, 1024 * 1024}; }

// Parses exactly one request from `bytes` on a parser that lives as long as the connection.
// Aborts the run if the input does not parse: a benchmark of an error path would lie.
void parseOne(HttpRequestParser& parser, std::string_view bytes, HttpRequest& out) {
  auto step = parser.parse(bytes);
  if (step.state != HttpRequestParser::State::kRequest || step.consumed != bytes.size()) {
    std::abort();
  }
  out = parser.takeRequest();
}

void parseLoop(benchmark::State& state, std::string_view bytes) {
  HttpRequestParser parser(benchLimits());  // one keep-alive connection
  HttpRequest request;
  for (auto _ : state) {
    parseOne(parser, bytes, request);
    benchmark::DoNotOptimize(request.headers.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes.size()));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.counters["req_bytes"] = static_cast<double>(bytes.size());
}

void BM_ParseSimpleGet(benchmark::State& state) { parseLoop(state, kSimpleGet); }
BENCHMARK(BM_ParseSimpleGet);

void BM_ParseManyHeaders(benchmark::State& state) { parseLoop(state, kManyHeaders); }
BENCHMARK(BM_ParseManyHeaders);

// The request wrk sends in bench/peer_http.sh: the parse share of that comparison.
void BM_ParseWrkHealthz(benchmark::State& state) { parseLoop(state, kWrkHealthz); }
BENCHMARK(BM_ParseWrkHealthz);

// 16 requests in one read, as a pipelining client sends them (16 = default max_pipelined).
void BM_ParsePipelined16(benchmark::State& state) {
  constexpr int kCount = 16;
  std::string buffer;
  for (int i = 0; i < kCount; ++i) buffer += kSimpleGet;
  HttpRequestParser parser(benchLimits());
  HttpRequest request;
  for (auto _ : state) {
    std::string_view rest = buffer;
    int requests = 0;
    while (!rest.empty()) {
      auto step = parser.parse(rest);
      if (step.state != HttpRequestParser::State::kRequest) std::abort();
      rest.remove_prefix(step.consumed);
      request = parser.takeRequest();
      ++requests;
    }
    if (requests != kCount) std::abort();
    benchmark::DoNotOptimize(request.headers.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * buffer.size()));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kCount));
}
BENCHMARK(BM_ParsePipelined16);

// ---- Routing ------------------------------------------------------------------------------

// The table a full server mounts: system routes, admin REST, social API, pages and the
// media routes of delivery/ (HLS, DASH, FLV). 27 patterns, 33 (method, pattern) pairs.
// The router accepts one capture per segment, so an LL-HLS part "part-1234.5.m4s" is
// captured whole by "part-{part}.m4s" (the handler splits msn and part).
Router makeRouter() {
  Router router;
  auto noop = [](HttpRequest&, const std::shared_ptr<HttpResponse>&) {};
  const std::vector<std::pair<std::string_view, std::string_view>> routes = {
      {"GET", "/healthz"},
      {"GET", "/metrics"},
      {"GET", "/time"},
      {"GET", "/"},
      {"GET", "/admin"},
      {"GET", "/ws"},
      {"GET", "/api/v1/openapi.yaml"},
      {"GET", "/api/v1/streams"},
      {"GET", "/api/v1/streams/{id}"},
      {"DELETE", "/api/v1/streams/{id}"},
      {"GET", "/api/v1/sessions"},
      {"GET", "/api/v1/sessions/{id}"},
      {"DELETE", "/api/v1/sessions/{id}"},
      {"GET", "/api/v1/users/{id}/followers"},
      {"POST", "/api/v1/users/{id}/follow"},
      {"DELETE", "/api/v1/users/{id}/follow"},
      {"GET", "/api/v1/notifications"},
      {"GET", "/api/v1/chat/{room}/messages"},
      {"POST", "/api/v1/chat/{room}/messages"},
      {"POST", "/api/v1/webhooks"},
      {"GET", "/watch/{app}/{key}"},
      {"GET", "/assets/{path*}"},
      {"GET", "/{app}/{key}.flv"},
      {"GET", "/{app}/{key}/index.m3u8"},
      {"GET", "/{app}/{key}/index.mpd"},
      {"GET", "/{app}/{key}/{rendition}/index.m3u8"},
      {"GET", "/{app}/{key}/{rendition}/init.mp4"},
      {"GET", "/{app}/{key}/{rendition}/seg-{msn}.m4s"},
      {"GET", "/{app}/{key}/{rendition}/part-{part}.m4s"},
      {"GET", "/{app}/{key}/{rendition}/chunk-{n}.m4s"},
  };
  for (const auto& [method, pattern] : routes) router.add(method, pattern, noop);
  return router;
}

struct RouteCase {
  std::string_view method;
  std::string_view path;
  int status;
};

// A live server's traffic, roughly: mostly media (parts, playlists, FLV), some API and pages,
// a probe, a miss.
const std::vector<RouteCase>& routeMix() {
  static const std::vector<RouteCase> mix = {
      {"GET", "/live/stream1/720p/part-1234.5.m4s", 200},
      {"GET", "/live/stream1/720p/index.m3u8", 200},
      {"GET", "/live/stream1/index.m3u8", 200},
      {"GET", "/live/stream1/1080p/seg-1233.m4s", 200},
      {"GET", "/live/stream1.flv", 200},
      {"GET", "/live/stream1/index.mpd", 200},
      {"GET", "/healthz", 200},
      {"GET", "/api/v1/streams/live%2Fstream1", 200},
      {"GET", "/api/v1/sessions/42", 200},
      {"GET", "/watch/live/stream1", 200},
      {"GET", "/assets/js/player.4f3a2b.js", 200},
      {"POST", "/api/v1/users/1234/follow", 200},
      {"POST", "/healthz", 405},
      {"GET", "/favicon.ico/nope/a/b/c/d", 404},
  };
  return mix;
}

void BM_RouterMatch(benchmark::State& state) {
  const Router router = makeRouter();
  const auto& mix = routeMix();
  for (const auto& c : mix) {  // the table must route the mix as intended
    if (router.match(c.method, c.path).status != c.status) std::abort();
  }
  size_t i = 0;
  for (auto _ : state) {
    const RouteCase& c = mix[i];
    i = i + 1 == mix.size() ? 0 : i + 1;
    auto m = router.match(c.method, c.path);
    benchmark::DoNotOptimize(m.handler);
    benchmark::DoNotOptimize(m.params.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_RouterMatch);

// The single route of the peer comparison, alone.
void BM_RouterMatchHealthz(benchmark::State& state) {
  const Router router = makeRouter();
  for (auto _ : state) {
    auto m = router.match("GET", "/healthz");
    benchmark::DoNotOptimize(m.handler);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_RouterMatchHealthz);

// End to end up to the handler call: bytes of a keep-alive connection -> parsed request ->
// route matched -> captures moved into the request -> (no-op) handler invoked.
void BM_ParseAndRoute(benchmark::State& state) {
  const Router router = makeRouter();
  std::vector<std::string> inputs;
  size_t totalBytes = 0;
  for (const auto& c : routeMix()) {
    std::string text = std::string(c.method) + " " + std::string(c.path) +
                       " HTTP/1.1\r\n"
                       "Host: 127.0.0.1:8080\r\n"
                       "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:126.0) Firefox/126.0\r\n"
                       "Accept: */*\r\n"
                       "Accept-Encoding: gzip, deflate\r\n"
                       "Connection: keep-alive\r\n";
    if (c.method == "POST") text += "Content-Length: 2\r\nContent-Type: application/json\r\n";
    text += "\r\n";
    if (c.method == "POST") text += "{}";
    totalBytes += text.size();
    inputs.push_back(std::move(text));
  }
  HttpRequestParser parser(benchLimits());
  HttpRequest request;
  size_t i = 0;
  int64_t bytes = 0;
  for (auto _ : state) {
    const std::string& input = inputs[i];
    i = i + 1 == inputs.size() ? 0 : i + 1;
    parseOne(parser, input, request);
    auto m = router.match(request.method, request.path);
    if (m.status == 200) {
      request.params = std::move(m.params);
      benchmark::DoNotOptimize(m.handler);
    }
    benchmark::DoNotOptimize(request.params.data());
    bytes += static_cast<int64_t>(input.size());
  }
  state.SetBytesProcessed(bytes);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.counters["avg_req_bytes"] = static_cast<double>(totalBytes) / inputs.size();
}
BENCHMARK(BM_ParseAndRoute);

// The whole of the wrk workload up to the handler: parse "GET /healthz" and route it.
void BM_ParseAndRouteHealthz(benchmark::State& state) {
  const Router router = makeRouter();
  HttpRequestParser parser(benchLimits());
  HttpRequest request;
  for (auto _ : state) {
    parseOne(parser, kWrkHealthz, request);
    auto m = router.match(request.method, request.path);
    request.params = std::move(m.params);
    benchmark::DoNotOptimize(m.handler);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kWrkHealthz.size()));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_ParseAndRouteHealthz);

}  // namespace
}  // namespace tidecast::api
