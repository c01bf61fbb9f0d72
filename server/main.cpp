// tidecast: command line and process set-up. Everything else is in server/server.cpp.
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>

#include "api/admin/stream_key_store.h"
#include "core/av_log.h"
#include "core/config.h"
#include "core/log.h"
#include "server/server.h"

namespace {

constexpr const char* kUsage =
    "Usage: tidecast [--config FILE]\n"
    "       tidecast --check-config FILE\n"
    "       tidecast --hash-token TOKEN\n"
    "       tidecast --help | --version\n"
    "\n"
    "A live-streaming server: RTMP/SRT in, LL-HLS, LL-DASH, HTTP-FLV and RTMP out.\n"
    "\n"
    "  --config FILE        load configuration from FILE (YAML); without it the built-in\n"
    "                       defaults are used (see conf/tidecast.yaml)\n"
    "  --check-config FILE  validate FILE, print the first error, exit 0 if valid, 1 if not\n"
    "  --hash-token TOKEN   print TOKEN's SHA-256, for admin.token_sha256 in the config\n"
    "  --help               show this text\n"
    "  --version            print the version\n"
    "\n"
    "Signals: SIGINT/SIGTERM stop gracefully (twice: at once), SIGHUP reloads the config.\n";

struct Options {
  std::string configPath;
  std::string checkPath;
  std::string hashToken;
  bool help = false;
  bool version = false;
};

bool parseOptions(int argc, char** argv, Options& options) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](std::string& out) {
      if (i + 1 >= argc) return false;
      out = argv[++i];
      return true;
    };
    if (arg == "--help" || arg == "-h") {
      options.help = true;
    } else if (arg == "--version") {
      options.version = true;
    } else if (arg == "--config" || arg == "-c") {
      if (!value(options.configPath)) return false;
    } else if (arg == "--check-config") {
      if (!value(options.checkPath)) return false;
    } else if (arg == "--hash-token") {
      if (!value(options.hashToken)) return false;
    } else if (arg.rfind("--config=", 0) == 0) {
      options.configPath = arg.substr(9);
    } else {
      return false;
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace tidecast;
  Options options;
  if (!parseOptions(argc, argv, options)) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  if (options.help) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (!options.hashToken.empty()) {
    std::printf("%s\n", api::admin::sha256Hex(options.hashToken).c_str());
    return 0;
  }
  if (options.version) {
    std::printf("tidecast %s\n", TIDECAST_VERSION);
    return 0;
  }
  if (!options.checkPath.empty()) {
    auto config = core::loadConfigFile(options.checkPath);
    if (!config) {
      std::fprintf(stderr, "%s\n", config.error().message.c_str());
      return 1;
    }
    std::printf("%s: ok\n", options.checkPath.c_str());
    return 0;
  }

  core::Config config;
  if (!options.configPath.empty()) {
    auto loaded = core::loadConfigFile(options.configPath);
    if (!loaded) {
      std::fprintf(stderr, "%s\n", loaded.error().message.c_str());
      return 1;
    }
    config = std::move(loaded.value());
  }
  // Writes to a closed socket must return EPIPE, not kill the process.
  std::signal(SIGPIPE, SIG_IGN);
  auto log = core::makeLogger(config.log);
  core::routeLibavLogs(log);  // FFmpeg's own warnings and errors, rate-limited, into the log
  server::Server server(std::move(config), log);
  return server.run();
}
