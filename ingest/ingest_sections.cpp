#include "ingest/ingest_sections.h"

#include "ingest/rtmp/rtmp_config.h"
#include "ingest/srt/srt_config.h"

namespace tidecast::ingest {

std::vector<const core::ConfigSection*> configSections() {
  return {&rtmp::rtmpConfigSection(), &rtmp::rtmpsConfigSection(), &srt::srtConfigSection()};
}

}  // namespace tidecast::ingest
