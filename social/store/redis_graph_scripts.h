// The Lua scripts of RedisGraphStore. Each touches the keys of one Cluster slot only: one
// user's ({u}) or the outbox bookkeeping's ({outbox}). The followers scripts also reach the
// user's bucket keys, named after their declared base key plus ":<start>" (the same hash
// tag, so the same slot). Outbox entries are "id|kind|other|position|notify", kind f
// (followed), u (unfollowed: position is the removed edge's), b (blocked: the other side's
// removal), n (unblocked); user ids never contain '|'.
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
    "local p = redis.call('ZSCORE', KEYS[1], b) "
    "if not p then redis.call('SREM', KEYS[2], b) return 0 end "
    "if redis.call('LLEN', KEYS[3]) >= tonumber(ARGV[5]) then return -3 end "
    "redis.call('ZREM', KEYS[1], b) "
    "local notify = 1 - redis.call('SREM', KEYS[2], b) "
    "redis.call('RPUSH', KEYS[3], ARGV[2] .. '|u|' .. b .. '|' .. p .. '|' .. notify) "
    "return 1";

// KEYS blocks, following, muted, outbox (of the blocker). ARGV blocked, id, markMs,
// maxDelayMs, maxOutbox. Removes the blocker's follow (an unfollowed entry) and always
// appends a b entry: the blocked side is applied by the dispatcher. -> 1 if anything changed.
inline constexpr std::string_view kBlock = TIDECAST_REDIS_NOW
    "if late(ARGV[3], ARGV[4]) then return -4 end "
    "local b = ARGV[1] "
    "if redis.call('LLEN', KEYS[4]) >= tonumber(ARGV[5]) then return -3 end "
    "local added = redis.call('SADD', KEYS[1], b) "
    "local p = redis.call('ZSCORE', KEYS[2], b) "
    "local notify = 1 - redis.call('SREM', KEYS[3], b) "
    "if p then redis.call('ZREM', KEYS[2], b) "
    "redis.call('RPUSH', KEYS[4], ARGV[2] .. '|u|' .. b .. '|' .. p .. '|' .. notify) end "
    "redis.call('RPUSH', KEYS[4], '0|b|' .. b .. '|0|0') "
    "if p then return 1 end return added";

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
    "local p = redis.call('ZSCORE', KEYS[2], a) "
    "if not p then return 0 end "
    "redis.call('ZREM', KEYS[2], a) "
    "local notify = 1 - redis.call('SREM', KEYS[3], a) "
    "redis.call('RPUSH', KEYS[4], ARGV[2] .. '|u|' .. a .. '|' .. p .. '|' .. notify) "
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

// ---- followers sets in buckets ----------------------------------------------------------
// A user's followers live in sorted sets of at most `max` entries (ARGV), so each stays in
// Redis's compact listpack encoding: the base key followers:{u} holds positions from the
// beginning, bucket followers:{u}:<start> those from <start> up to the next bucket's start.
// KEYS index (ZSET start -> start) and count (the total, while there are buckets) complete
// them. A bucket past `max` splits: the newest bucket gives its newest entry a bucket of its
// own (appends fill buckets to `max`), an older one splits in the middle; entries of one
// position never part. A bucket left under max / 4 merges into the one before it when both fit.
// Redis turns a set that grows past zset-max-listpack-entries into a skiplist (~110 bytes an
// entry instead of ~18) and never back, so a set that went over is rewritten once it fits:
// the part a split leaves behind, and a one-position bucket shrunk back to max.
#define TIDECAST_REDIS_BUCKETS                                                           \
  "local base, index, count = KEYS[1], KEYS[2], KEYS[3] "                                \
  "local function bucketOf(p) "                                                          \
  "local s = redis.call('ZREVRANGEBYSCORE', index, p, '-inf', 'LIMIT', 0, 1)[1] "        \
  "if s then return base .. ':' .. s, s end return base, nil end "                       \
  "local function put(key, e, from, to) "                                                \
  "while from <= to do local args = {} local last = math.min(to, from + 511) "           \
  "for i = from, last do args[#args + 1] = e[2 * i] args[#args + 1] = e[2 * i - 1] end " \
  "redis.call('ZADD', key, unpack(args)) from = last + 1 end end "                       \
  "local function rebuild(key, e, n) redis.call('DEL', key) put(key, e, 1, n) end "      \
  "local function move(from, to) "                                                       \
  "local e = redis.call('ZRANGE', from, 0, -1, 'WITHSCORES') "                           \
  "put(to, e, 1, #e / 2) redis.call('DEL', from) end "

// KEYS base, index, count. ARGV position, follower, max. -> 1 added, 0 already there.
inline constexpr std::string_view kFollowersAdd = TIDECAST_REDIS_BUCKETS
    "local p, a, max = ARGV[1], ARGV[2], tonumber(ARGV[3]) "
    "local key, start = bucketOf(p) "
    "local bucketed = start ~= nil or redis.call('EXISTS', index) == 1 "
    "if redis.call('ZADD', key, p, a) == 0 then return 0 end "
    "if bucketed then redis.call('INCR', count) end "
    "local n = redis.call('ZCARD', key) "
    "if n <= max then return 1 end "
    "local e = redis.call('ZRANGE', key, 0, -1, 'WITHSCORES') "
    "local function score(i) return tonumber(e[2 * i]) end "
    "local k = nil "
    "local newest = redis.call('ZRANGEBYSCORE', index, '(' .. p, '+inf', 'LIMIT', 0, 1)[1] == nil "
    "if newest and score(n) == tonumber(p) and score(n) > score(n - 1) then k = n else "
    "local mid = math.floor(n / 2) + 1 "
    "for d = 0, n do "
    "if mid + d <= n and score(mid + d) > score(mid + d - 1) then k = mid + d break end "
    "if mid - d >= 2 and score(mid - d) > score(mid - d - 1) then k = mid - d break end "
    "end end "
    "if not k then return 1 end "
    "local s = e[2 * k] "
    "put(base .. ':' .. s, e, k, n) "
    "rebuild(key, e, k - 1) "
    "redis.call('ZADD', index, s, s) "
    "if not bucketed then redis.call('SET', count, n) end "
    "return 1";

// KEYS base, index, count. ARGV position, follower, max. -> 1 removed, 0 not there.
inline constexpr std::string_view kFollowersRemove = TIDECAST_REDIS_BUCKETS
    "local p, a, max = ARGV[1], ARGV[2], tonumber(ARGV[3]) "
    "local key, start = bucketOf(p) "
    "if redis.call('ZREM', key, a) == 0 then return 0 end "
    "if redis.call('EXISTS', index) == 0 then return 1 end "
    "redis.call('DECR', count) "
    "local n = redis.call('ZCARD', key) "
    "if n == max then rebuild(key, redis.call('ZRANGE', key, 0, -1, 'WITHSCORES'), n) end "
    "if not start then return 1 end "
    "if n >= max / 4 then return 1 end "
    "local before = redis.call('ZREVRANGEBYSCORE', index, '(' .. start, '-inf', 'LIMIT', 0, 1)[1] "
    "local into = before and (base .. ':' .. before) or base "
    "if n > 0 and redis.call('ZCARD', into) + n > max then return 1 end "
    "move(key, into) "
    "redis.call('ZREM', index, start) "
    "if redis.call('EXISTS', index) == 0 then redis.call('DEL', count) end "
    "return 1";

#undef TIDECAST_REDIS_BUCKETS

// A page, newest first, of a sorted set (KEYS[1]) or of a bucketed followers set (KEYS base,
// index). ARGV max position ('+inf' for the first page), the last member returned at that
// position ('' for none: the page starts below it), how many. Members of one position come
// in descending byte order (Redis's own); the next page starts after (position, member).
// -> {member, position, ...} as ZREVRANGEBYSCORE WITHSCORES.
inline constexpr std::string_view kPage =
    "local top, after, want = ARGV[1], ARGV[2], tonumber(ARGV[3]) "
    "local out = {} "
    "local function room() return want - #out / 2 end "
    "local function add(list) for i = 1, #list do out[#out + 1] = list[i] end end "
    "local function below(x, y) "
    "for i = 1, math.min(#x, #y) do local a, b = string.byte(x, i), string.byte(y, i) "
    "if a ~= b then return a < b end end return #x < #y end "
    "local first = true "
    "local function visit(key) "
    "if room() <= 0 then return end "
    "if top == '+inf' then add(redis.call('ZREVRANGEBYSCORE', key, '+inf', '-inf', 'WITHSCORES', "
    "'LIMIT', 0, room())) return end "
    "if first and after ~= '' then "
    "local at = redis.call('ZSCORE', key, after) "
    "if at and tonumber(at) == tonumber(top) then "
    "local r = redis.call('ZREVRANK', key, after) "
    "first = false "
    "add(redis.call('ZREVRANGE', key, r + 1, r + room(), 'WITHSCORES')) return end "
    "local same = redis.call('ZREVRANGEBYSCORE', key, top, top, 'WITHSCORES') "
    "for i = 1, #same, 2 do if room() > 0 and below(same[i], after) then "
    "out[#out + 1] = same[i] out[#out + 1] = same[i + 1] end end end "
    "first = false "
    "if room() > 0 then add(redis.call('ZREVRANGEBYSCORE', key, '(' .. top, '-inf', 'WITHSCORES', "
    "'LIMIT', 0, room())) end end "
    "if KEYS[2] then local offset = 0 repeat "
    "local starts = redis.call('ZREVRANGEBYSCORE', KEYS[2], top, '-inf', 'LIMIT', offset, 8) "
    "for _, s in ipairs(starts) do visit(KEYS[1] .. ':' .. s) end "
    "offset = offset + 8 until #starts < 8 or room() <= 0 end "
    "visit(KEYS[1]) "
    "return out";

// KEYS following, followers base, index. -> {0, the intersection (oldest first)} while the
// followers fit one set; {1, every followee (newest first)} once they are bucketed (the
// caller then asks each followee's own set).
inline constexpr std::string_view kMutual =
    "if redis.call('EXISTS', KEYS[3]) == 0 then "
    "return {0, redis.call('ZINTER', 2, KEYS[1], KEYS[2], 'WEIGHTS', 1, 0)} end "
    "return {1, redis.call('ZREVRANGE', KEYS[1], 0, -1)}";

#undef TIDECAST_REDIS_NOW

}  // namespace tidecast::social::store::scripts
