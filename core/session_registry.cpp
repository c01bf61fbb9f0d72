#include "core/session_registry.h"

#include <algorithm>
#include <chrono>

namespace tidecast::core {

SessionRecord& SessionRegistry::open(SessionRecord::Role role, std::string protocol,
                                     std::string peer) {
  auto record = std::make_unique<SessionRecord>();
  record->id = nextId_++;
  record->role = role;
  record->protocol = std::move(protocol);
  record->peer = std::move(peer);
  record->startedUnixMs = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
  SessionRecord& ref = *record;
  sessions_.emplace(ref.id, std::move(record));
  return ref;
}

void SessionRegistry::remove(uint64_t id) { sessions_.erase(id); }

SessionRecord* SessionRegistry::find(uint64_t id) {
  auto it = sessions_.find(id);
  return it == sessions_.end() ? nullptr : it->second.get();
}

bool SessionRegistry::kick(uint64_t id, std::string_view reason) {
  SessionRecord* record = find(id);
  if (record == nullptr || !record->close) return false;
  auto close = record->close;  // the session removes its record while closing
  close(reason);
  return true;
}

std::vector<const SessionRecord*> SessionRegistry::list() const {
  std::vector<const SessionRecord*> out;
  out.reserve(sessions_.size());
  for (const auto& [id, record] : sessions_) out.push_back(record.get());
  std::sort(out.begin(), out.end(), [](auto* a, auto* b) { return a->id < b->id; });
  return out;
}

}  // namespace tidecast::core
