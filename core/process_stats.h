// Figures about this process, read from /proc (Linux), and the standard Prometheus process
// collector built on them. Reading costs a few small /proc file reads: no sync, no sleeping,
// safe from any thread (nothing is shared).
#pragma once

#include <cstdint>

namespace tidecast::core {

class MetricsRegistry;

// A field that could not be read is left at zero.
struct ProcessStats {
  double cpuSeconds = 0;        // user + system
  uint64_t rssBytes = 0;        // resident set size
  uint64_t virtualBytes = 0;    // virtual memory size
  uint32_t openFds = 0;         // file descriptors open now
  uint64_t maxFds = 0;          // RLIMIT_NOFILE soft limit
  double startTimeSeconds = 0;  // process start, Unix epoch
  uint32_t threads = 0;
};

ProcessStats readProcessStats();

// Adds process_cpu_seconds_total, process_resident_memory_bytes,
// process_virtual_memory_bytes, process_open_fds, process_max_fds,
// process_start_time_seconds and process_threads as callbacks, fed by one readProcessStats()
// per render.
void registerProcessMetrics(MetricsRegistry& registry);

}  // namespace tidecast::core
