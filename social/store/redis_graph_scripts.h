// The Lua scripts of RedisGraphStore. Each touches the keys of one Cluster slot only: one
// user's ({u}) or the outbox bookkeeping's ({outbox}). Outbox entries are
// "id|kind|other|position|notify", kind f (followed), u (unfollowed), b (blocked: the other
// side's removal), n (unblocked); user ids never contain '|'.
//
// A write script gets the mark time of its pending mark and refuses (kRefusedLate) when it
// runs more than maxDelayMs after it: a sweep, which drops marks older than twice that,
// then never drops the mark of an entry still being written.
#pragma once

#include <cstdint>
#include <string_view>

namespace tidecast::social::store::scripts {

inline constexpr int64_t kRefusedBlocked = -1;
inline constexpr int64_t kRefusedTooMany = -2;
inline constexpr int64_t kRefusedFull = -3;
inline constexpr int64_t kRefusedLate = -4;

#define TIDECAST_REDIS_NOW                                                \
  "local function nowMs() local t = redis.call('TIME') "                  \
  "return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) end " \
  "local function late(markMs, maxDelayMs) "                              \
  "return nowMs() - tonumber(markMs) > tonumber(maxDelayMs) end "

// KEYS pending, ids. ARGV user. -> {markMs, eventId}
inline constexpr std::string_view kMark = TIDECAST_REDIS_NOW
    "local ms = nowMs() "
    "redis.call('ZADD', KEYS[1], string.format('%.0f', ms), ARGV[1]) "
    "return {ms, redis.call('INCR', KEYS[2])}";

// KEYS following, muted, blocks, blockedby, outbox (of the follower).
// ARGV followee, notify 1|0, position, id, markMs, maxDelayMs, maxFollowing, maxOutbox.
// -> 1 created, 0 existed (bell set), or a refusal.
inline constexpr std::string_view kFollow = TIDECAST_REDIS_NOW
    "if late(ARGV[5], ARGV[6]) then return -4 end "
    "local b = ARGV[1] "
    "if redis.call('SISMEMBER', KEYS[3], b) == 1 or redis.call('SISMEMBER', KEYS[4], b) == 1 "
    "then return -1 end "
    "local function bell() if ARGV[2] == '1' then redis.call('SREM', KEYS[2], b) "
    "else redis.call('SADD', KEYS[2], b) end end "
    "if redis.call('ZSCORE', KEYS[1], b) then bell() return 0 end "
    "if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[7]) then return -2 end "
    "if redis.call('LLEN', KEYS[5]) >= tonumber(ARGV[8]) then return -3 end "
    "redis.call('ZADD', KEYS[1], ARGV[3], b) bell() "
    "redis.call('RPUSH', KEYS[5], ARGV[4] .. '|f|' .. b .. '|' .. ARGV[3] .. '|' .. ARGV[2]) "
    "return 1";

// KEYS following, muted, outbox. ARGV followee, id, markMs, maxDelayMs, maxOutbox.
inline constexpr std::string_view kUnfollow = TIDECAST_REDIS_NOW
    "if late(ARGV[3], ARGV[4]) then return -4 end "
    "local b = ARGV[1] "
    "if not redis.call('ZSCORE', KEYS[1], b) then redis.call('SREM', KEYS[2], b) return 0 end "
    "if redis.call('LLEN', KEYS[3]) >= tonumber(ARGV[5]) then return -3 end "
    "redis.call('ZREM', KEYS[1], b) "
    "local notify = 1 - redis.call('SREM', KEYS[2], b) "
    "redis.call('RPUSH', KEYS[3], ARGV[2] .. '|u|' .. b .. '|0|' .. notify) "
    "return 1";

// KEYS blocks, following, muted, outbox (of the blocker). ARGV blocked, id, markMs,
// maxDelayMs, maxOutbox. Removes the blocker's follow (an unfollowed entry) and always
// appends a b entry: the blocked side is applied by the dispatcher. -> 1 if anything changed.
inline constexpr std::string_view kBlock = TIDECAST_REDIS_NOW
    "if late(ARGV[3], ARGV[4]) then return -4 end "
    "local b = ARGV[1] "
    "if redis.call('LLEN', KEYS[4]) >= tonumber(ARGV[5]) then return -3 end "
    "local added = redis.call('SADD', KEYS[1], b) "
    "local removed = redis.call('ZREM', KEYS[2], b) "
    "local notify = 1 - redis.call('SREM', KEYS[3], b) "
    "if removed == 1 then redis.call('RPUSH', KEYS[4], ARGV[2] .. '|u|' .. b .. '|0|' .. notify) "
    "end "
    "redis.call('RPUSH', KEYS[4], '0|b|' .. b .. '|0|0') "
    "return math.max(added, removed)";

// KEYS blocks, outbox. ARGV blocked, markMs, maxDelayMs.
inline constexpr std::string_view kUnblock = TIDECAST_REDIS_NOW
    "if late(ARGV[2], ARGV[3]) then return -4 end "
    "if redis.call('SREM', KEYS[1], ARGV[1]) == 0 then return 0 end "
    "redis.call('RPUSH', KEYS[2], '0|n|' .. ARGV[1] .. '|0|0') "
    "return 1";

// The blocked side of a block, on the blocked user's slot (the dispatcher marked that user
// pending first). KEYS blockedby, following, muted, outbox (of the blocked). ARGV blocker,
// id, markMs, maxDelayMs. Idempotent: a replay finds nothing left to remove.
inline constexpr std::string_view kBlocked = TIDECAST_REDIS_NOW
    "if late(ARGV[3], ARGV[4]) then return -4 end "
    "local a = ARGV[1] "
    "redis.call('SADD', KEYS[1], a) "
    "if redis.call('ZREM', KEYS[2], a) == 0 then return 0 end "
    "local notify = 1 - redis.call('SREM', KEYS[3], a) "
    "redis.call('RPUSH', KEYS[4], ARGV[2] .. '|u|' .. a .. '|0|' .. notify) "
    "return 1";

// KEYS lease, outbox. ARGV token, entries done, leaseMs. Trims the done entries if the
// lease is still ours; releases it when the outbox is empty, renews it otherwise.
// -> entries left, or -1 when the lease was lost (nothing trimmed).
inline constexpr std::string_view kAck =
    "if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end "
    "redis.call('LTRIM', KEYS[2], tonumber(ARGV[2]), -1) "
    "local left = redis.call('LLEN', KEYS[2]) "
    "if left == 0 then redis.call('DEL', KEYS[1]) else redis.call('PEXPIRE', KEYS[1], ARGV[3]) end "
    "return left";

// KEYS lease. ARGV token.
inline constexpr std::string_view kRelease =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end "
    "return 0";

// KEYS pending. ARGV graceMs, batch. -> {pending users, {user, markMs, ...} marked before
// now - graceMs}
inline constexpr std::string_view kSweep = TIDECAST_REDIS_NOW
    "local before = string.format('%.0f', nowMs() - tonumber(ARGV[1])) "
    "return {redis.call('ZCARD', KEYS[1]), redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', before, "
    "'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[2]))}";

// KEYS pending. ARGV user, markMs as swept: dropped unless marked again since.
inline constexpr std::string_view kClean =
    "if redis.call('ZSCORE', KEYS[1], ARGV[1]) == ARGV[2] then "
    "return redis.call('ZREM', KEYS[1], ARGV[1]) end return 0";

#undef TIDECAST_REDIS_NOW

}  // namespace tidecast::social::store::scripts
