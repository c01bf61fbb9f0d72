// Fuzz target: any bytes through parseConfig must give a Config or an Error, never a crash,
// hang or exception; a Config that parses must also survive applyReload.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using tidecast::core::Config;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  tidecast::core::Result<Config> result = tidecast::core::parseConfig(text, "fuzz.yaml");
  if (result.ok()) {
    Config live;
    (void)tidecast::core::applyReload(live, *result);
  } else if (result.error().code.empty() || result.error().message.empty()) {
    __builtin_trap();  // every error carries a code and a message
  }
  return 0;
}
