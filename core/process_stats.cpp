#include "core/process_stats.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/metrics.h"

namespace tidecast::core {
namespace {

// The whole file, or "" when it cannot be read. /proc files report size 0, so read to EOF.
std::string readProcFile(const char* path) {
  std::string content;
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return content;
  char buffer[4096];
  ssize_t n = 0;
  while ((n = ::read(fd, buffer, sizeof buffer)) > 0)
    content.append(buffer, static_cast<size_t>(n));
  ::close(fd);
  return content;
}

uint64_t parseUnsigned(std::string_view text) {
  uint64_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;  // stays 0 when text is not a number
}

std::vector<std::string_view> splitSpaces(std::string_view text) {
  std::vector<std::string_view> fields;
  size_t start = 0;
  while ((start = text.find_first_not_of(" \n", start)) != std::string_view::npos) {
    const size_t end = std::min(text.find_first_of(" \n", start), text.size());
    fields.push_back(text.substr(start, end - start));
    start = end;
  }
  return fields;
}

// Seconds since the epoch at boot: the `btime` line of /proc/stat.
double readBootTime() {
  const std::string stat = readProcFile("/proc/stat");
  const size_t at = stat.find("\nbtime ");
  if (at == std::string::npos) return 0;
  return static_cast<double>(parseUnsigned(std::string_view(stat).substr(at + 7)));
}

// /proc/self/stat (proc(5)). The command name in field 2 may hold spaces and parentheses, so
// the fields are counted from after its last ')': field 3 (state) is index 0.
void readSelfStat(ProcessStats& stats) {
  const std::string stat = readProcFile("/proc/self/stat");
  const size_t nameEnd = stat.rfind(')');
  if (nameEnd == std::string::npos) return;
  const auto fields = splitSpaces(std::string_view(stat).substr(nameEnd + 1));
  if (fields.size() < 22) return;
  const auto field = [&](size_t number) { return parseUnsigned(fields[number - 3]); };
  const auto ticksPerSecond = static_cast<double>(::sysconf(_SC_CLK_TCK));
  const auto pageSize = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  // Boot time cannot change while we run: read /proc/stat (long on big hosts) only once.
  static const double bootTime = readBootTime();
  stats.cpuSeconds = static_cast<double>(field(14) + field(15)) / ticksPerSecond;
  stats.threads = static_cast<uint32_t>(field(20));
  stats.startTimeSeconds = bootTime + static_cast<double>(field(22)) / ticksPerSecond;
  stats.virtualBytes = field(23);
  stats.rssBytes = field(24) * pageSize;
}

uint32_t countOpenFds() {
  std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir("/proc/self/fd"), ::closedir);
  if (!dir) return 0;
  uint32_t count = 0;
  const std::string ownFd = std::to_string(::dirfd(dir.get()));
  while (const dirent* entry = ::readdir(dir.get())) {
    const std::string_view name = entry->d_name;
    if (name != "." && name != ".." && name != ownFd) ++count;  // not the listing's own fd
  }
  return count;
}

uint64_t readMaxFds() {
  rlimit limit{};
  return ::getrlimit(RLIMIT_NOFILE, &limit) == 0 ? static_cast<uint64_t>(limit.rlim_cur) : 0;
}

}  // namespace

ProcessStats readProcessStats() {
  ProcessStats stats;
  readSelfStat(stats);
  stats.openFds = countOpenFds();
  stats.maxFds = readMaxFds();
  return stats;
}

void registerProcessMetrics(MetricsRegistry& registry) {
  // One sample per render, shared by all the callbacks below.
  auto sample = std::make_shared<ProcessStats>();
  registry.addCollectHook([sample] { *sample = readProcessStats(); });
  const auto gauge = [&](const char* name, const char* help, auto field) {
    registry.gaugeCallback(name, help,
                           [sample, field] { return static_cast<double>((*sample).*field); });
  };
  registry.counterCallback("process_cpu_seconds_total",
                           "Total user and system CPU time spent in seconds.",
                           [sample] { return sample->cpuSeconds; });
  gauge("process_resident_memory_bytes", "Resident memory size in bytes.", &ProcessStats::rssBytes);
  gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.",
        &ProcessStats::virtualBytes);
  gauge("process_open_fds", "Number of open file descriptors.", &ProcessStats::openFds);
  gauge("process_max_fds", "Maximum number of open file descriptors.", &ProcessStats::maxFds);
  gauge("process_start_time_seconds", "Start time of the process since unix epoch in seconds.",
        &ProcessStats::startTimeSeconds);
  gauge("process_threads", "Number of OS threads in the process.", &ProcessStats::threads);
}

}  // namespace tidecast::core
