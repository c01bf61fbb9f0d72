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
#include "server/server_config.h"

namespace {

constexpr const char* kUsage =
    "Usage: tidecast [--config FILE]\n"
    "       tidecast --check-config FILE\n"
    "       tidecast --print-config [--config FILE]\n"
    "       tidecast --print-config-reference\n"
    "       tidecast --hash-token TOKEN\n"
    "       tidecast --help | --version\n"
    "\n"
    "A live-streaming server: RTMP/SRT in, LL-HLS, LL-DASH, HTTP-FLV and RTMP out.\n"
    "\n"
    "  --config FILE        load configuration from FILE (YAML); without it the built-in\n"
    "                       defaults are used (see conf/tidecast.yaml)\n"
    "  --check-config FILE  validate FILE (and the TIDECAST_* variables), print the first\n"
    "                       error, exit 0 if valid, 1 if not\n"
    "  --print-config       print the configuration as a commented YAML file: every key with\n"
    "                       its doc, default and reload; the values of --config FILE and the\n"
    "                       TIDECAST_* variables (conf/tidecast.yaml is this output)\n"
    "  --print-config-reference\n"
    "                       print the key reference in Markdown (docs/configuration.md)\n"
    "  --hash-token TOKEN   print TOKEN's SHA-256, for admin.token_sha256 in the config\n"
    "  --help               show this text\n"
    "  --version            print the version\n"
    "\n"
    "Every key can be set from the environment: TIDECAST_<SECTION>_<KEY> "
    "(TIDECAST_HTTP_PORT=8081,\n"
    "TIDECAST_LOG_LEVEL=debug; lists and maps as inline YAML), overriding the file.\n"
    "\n"
    "Signals: SIGINT/SIGTERM stop gracefully (twice: at once), SIGHUP reloads the config.\n";

struct Options {
  std::string configPath;
  std::string checkPath;
  std::string hashToken;
  bool printConfig = false;
  bool printReference = false;
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
    } else if (arg == "--print-config") {
      options.printConfig = true;
    } else if (arg == "--print-config-reference") {
      options.printReference = true;
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
  const core::ConfigSchema& schema = server::configSchema();
  if (options.printReference) {
    std::fputs(core::printConfigReference(schema).c_str(), stdout);
    return 0;
  }
  if (!options.checkPath.empty()) {
    auto config = core::loadConfigFile(schema, options.checkPath);
    if (!config) {
      std::fprintf(stderr, "%s\n", config.error().message.c_str());
      return 1;
    }
    std::printf("%s: ok\n", options.checkPath.c_str());
    return 0;
  }

  auto loaded = core::loadConfigFile(schema, options.configPath);
  if (!loaded) {
    std::fprintf(stderr, "%s\n", loaded.error().message.c_str());
    return 1;
  }
  core::Config config = std::move(loaded.value());
  if (options.printConfig) {
    std::fputs(core::printConfig(config).c_str(), stdout);
    return 0;
  }
  // Writes to a closed socket must return EPIPE, not kill the process.
  std::signal(SIGPIPE, SIG_IGN);
  auto log = core::makeLogger(config.get<core::LogConfig>());
  core::routeLibavLogs(log);  // FFmpeg's own warnings and errors, rate-limited, into the log
  server::Server server(std::move(config), log);
  return server.run();
}
