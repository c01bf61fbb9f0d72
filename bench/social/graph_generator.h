// A synthetic power-law follow graph, generated follower by follower so the caller can stream
// it into a store without holding it: each user follows a geometric number of others (mean
// follows/users, capped), and whom they follow is drawn from a Zipf (s = 1) law over a
// shuffled ranking, so a few users have hundreds of thousands of followers and most have a
// handful. Deterministic for a seed.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace tidecast::bench::social {

class GraphGenerator {
 public:
  GraphGenerator(uint32_t users, uint64_t follows, uint32_t maxFollowing, uint64_t seed)
      : users_(users),
        mean_(static_cast<double>(follows) / users),
        maxFollowing_(maxFollowing),
        rng_(seed),
        logUsers_(std::log(static_cast<double>(users) + 1)) {}

  uint32_t users() const { return users_; }

  // The n-th most popular user (a fixed permutation, so popularity is not the id order).
  uint32_t byRank(uint32_t rank) const {
    return static_cast<uint32_t>((uint64_t{rank} * kStride + kOffset) % users_);
  }
  // A user drawn with probability ~ 1 / rank (Zipf, s = 1).
  uint32_t zipfUser(std::mt19937_64& rng) const {
    double u = std::uniform_real_distribution<double>(0, 1)(rng);
    auto rank = static_cast<uint32_t>(std::exp(u * logUsers_) - 1);
    return byRank(std::min(rank, users_ - 1));
  }

  // The users `follower` follows, distinct, never itself.
  std::vector<uint32_t> followingOf(uint32_t follower) {
    std::geometric_distribution<uint32_t> degree(1.0 / (mean_ + 1));
    uint32_t count = std::min(degree(rng_), maxFollowing_);
    std::vector<uint32_t> out;
    out.reserve(count);
    for (uint32_t tries = 0; out.size() < count && tries < count * 4; ++tries) {
      uint32_t followee = zipfUser(rng_);
      if (followee == follower || std::find(out.begin(), out.end(), followee) != out.end()) {
        continue;
      }
      out.push_back(followee);
    }
    return out;
  }

  static std::string name(uint32_t user) { return "u" + std::to_string(user); }

 private:
  static constexpr uint64_t kStride = 2654435761u;  // odd and prime: a permutation mod users
  static constexpr uint64_t kOffset = 12345;
  uint32_t users_;
  double mean_;
  uint32_t maxFollowing_;
  std::mt19937_64 rng_;
  double logUsers_;
};

}  // namespace tidecast::bench::social
