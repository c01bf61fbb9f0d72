// Every publisher and player session of a loop, for the admin API: who, from where, which
// stream, since when, how many bytes. Protocol code opens a record when a session starts,
// updates its byte counters in place and closes it when the session ends; close() through
// the registry (an admin "kick") calls the session's own close function.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace tidecast::core {

// Transport statistics of a session whose link measures them (SRT), sampled periodically by
// the protocol code. Packet counts are totals since the session started.
struct LinkStats {
  double rttMs = 0;
  double bandwidthMbps = 0;  // estimated link capacity
  double rateMbps = 0;       // current receive (publisher) or send (player) rate
  uint64_t packetsLost = 0;
  uint64_t packetsRetransmitted = 0;
  uint64_t packetsDropped = 0;  // too late to be played (receiver) or sent (sender)
  uint32_t latencyMs = 0;       // negotiated latency
};

struct SessionRecord {
  enum class Role { kPublisher, kPlayer };
  uint64_t id = 0;
  Role role = Role::kPlayer;
  std::string protocol;  // "rtmp", "http-flv", "srt", ...
  std::string peer;      // "ip:port"
  std::string stream;    // "app/key" once known
  int64_t startedUnixMs = 0;
  uint64_t bytesIn = 0;
  uint64_t bytesOut = 0;
  std::optional<LinkStats> link;  // set by links that measure themselves (SRT)
  // Ends the session (closes its connection). Set by the protocol code.
  std::function<void(std::string_view reason)> close;
};

class SessionRegistry {
 public:
  // The record stays at the same address until remove(id).
  SessionRecord& open(SessionRecord::Role role, std::string protocol, std::string peer);
  void remove(uint64_t id);
  SessionRecord* find(uint64_t id);
  // Asks the session to close; false if there is no such session.
  bool kick(uint64_t id, std::string_view reason);
  std::vector<const SessionRecord*> list() const;
  size_t size() const { return sessions_.size(); }

 private:
  std::unordered_map<uint64_t, std::unique_ptr<SessionRecord>> sessions_;
  uint64_t nextId_ = 1;
};

}  // namespace tidecast::core
