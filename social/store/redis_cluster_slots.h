// Redis Cluster's key space, as the Cluster specification defines it: a key's slot is the
// CRC16 (XMODEM) of its hash tag (the text between the first '{' and the first '}' after it,
// when not empty) or else of the whole key, modulo 16384. Plus the pieces of the protocol
// RedisClient needs: which argument of a command is its key, the CLUSTER SLOTS reply, and
// the -MOVED/-ASK redirections. Pure functions, no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "social/store/redis_connection.h"

namespace tidecast::social::store {

inline constexpr uint16_t kClusterSlots = 16384;

// CRC16-CCITT (XMODEM: polynomial 0x1021, initial value 0), as in the Cluster spec.
uint16_t crc16(std::string_view data);
// The slot of `key`, hash tags applied.
uint16_t keySlot(std::string_view key);

// The key a command is routed by: args[1] for ordinary commands, args[3] for EVAL/EVALSHA
// (and EVAL_RO/EVALSHA_RO, FCALL) with numkeys >= 1; none for commands without a key (PING,
// SCAN, a keyless EVAL, SCRIPT, CLUSTER, INFO, ...): any node answers those.
std::optional<std::string_view> commandKey(const std::vector<std::string>& args);

// One range of CLUSTER SLOTS: slots [first, last] served by the master host:port.
struct SlotRange {
  uint16_t first = 0;
  uint16_t last = 0;
  std::string host;  // empty when the node did not know its own address: the one asked
  uint16_t port = 0;
};
// The ranges of a CLUSTER SLOTS reply; none when the reply is not one.
std::optional<std::vector<SlotRange>> parseClusterSlots(const RedisValue& reply);

// "-MOVED 3999 127.0.0.1:6381" / "-ASK 3999 127.0.0.1:6381" (the error text, without '-').
struct Redirect {
  bool ask = false;  // ASK: this command only; MOVED: the slot has moved for good
  uint16_t slot = 0;
  std::string host;
  uint16_t port = 0;
};
std::optional<Redirect> parseRedirect(std::string_view error);

}  // namespace tidecast::social::store
