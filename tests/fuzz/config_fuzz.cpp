// Fuzz target: any bytes through parseConfig (every room's sections; the server's own
// server: section is not linked into fuzz builds) must give a Config or an Error, never a
// crash, hang or exception; a Config that parses must survive applyReload and print back to
// a text that parses to the same Config.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "api/api_sections.h"
#include "core/config.h"
#include "core/core_sections.h"
#include "delivery/delivery_sections.h"
#include "ingest/ingest_sections.h"
#include "social/social_sections.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tidecast;
  static const core::ConfigSchema schema{core::configSections(), api::configSections(),
                                         ingest::configSections(), delivery::configSections(),
                                         social::configSections()};
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  core::Result<core::Config> result = core::parseConfig(schema, text, "fuzz.yaml");
  if (result.ok()) {
    core::Config live(schema);
    (void)core::applyReload(live, *result);
    const std::string printed = core::printConfig(*result);
    core::Result<core::Config> again = core::parseConfig(schema, printed, "printed.yaml");
    if (!again.ok() || core::printConfig(*again) != printed) __builtin_trap();
  } else if (result.error().code.empty() || result.error().message.empty()) {
    __builtin_trap();  // every error carries a code and a message
  }
  return 0;
}
