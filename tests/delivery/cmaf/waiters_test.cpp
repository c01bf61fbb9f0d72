#include "delivery/cmaf/waiters.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tidecast::delivery::cmaf {
namespace {

TEST(Waiters, PollDropsThoseThatAreDone) {
  Waiters waiters(10);
  bool ready = false;
  int calls = 0;
  Waiters::Id id = waiters.park(
      1000,
      [&] {
        ++calls;
        return ready;
      },
      nullptr);
  EXPECT_NE(id, 0u);
  EXPECT_EQ(calls, 0);  // park does not ask
  waiters.poll();
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(waiters.size(), 1u);
  ready = true;
  waiters.poll();
  EXPECT_EQ(waiters.size(), 0u);
  waiters.poll();
  EXPECT_EQ(calls, 2);
}

TEST(Waiters, ExpireCallsOnlyThoseAtOrPastTheirDeadline) {
  Waiters waiters(10);
  std::vector<std::string> expired;
  waiters.park(
      100, [] { return false; }, [&] { expired.push_back("a"); });
  waiters.park(
      200, [] { return false; }, [&] { expired.push_back("b"); });
  waiters.park(
      300, [] { return false; }, nullptr);  // no expiry callback
  waiters.expire(99);
  EXPECT_TRUE(expired.empty());
  waiters.expire(200);
  EXPECT_EQ(expired, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(waiters.size(), 1u);
  waiters.expireAll();
  EXPECT_EQ(waiters.size(), 0u);
  EXPECT_EQ(expired.size(), 2u);
}

TEST(Waiters, CancelledWaiterIsNeitherPolledNorExpired) {
  Waiters waiters(10);
  bool polled = false;
  bool expired = false;
  Waiters::Id id = waiters.park(
      0, [&] { return polled = true; }, [&] { expired = true; });
  waiters.cancel(id);
  waiters.cancel(id);  // twice is harmless
  waiters.cancel(12345);
  waiters.poll();
  waiters.expireAll();
  EXPECT_FALSE(polled);
  EXPECT_FALSE(expired);
  EXPECT_EQ(waiters.size(), 0u);
}

TEST(Waiters, RefusesPastTheLimit) {
  Waiters waiters(2);
  EXPECT_NE(waiters.park(
                0, [] { return false; }, nullptr),
            0u);
  Waiters::Id second = waiters.park(
      0, [] { return false; }, nullptr);
  EXPECT_NE(second, 0u);
  EXPECT_EQ(waiters.park(
                0, [] { return false; }, nullptr),
            0u);
  waiters.cancel(second);
  EXPECT_NE(waiters.park(
                0, [] { return false; }, nullptr),
            0u);
  EXPECT_EQ(Waiters(0).park(
                0, [] { return true; }, nullptr),
            0u);
}

TEST(Waiters, ReadyMayCancelAnotherWaiterDuringPoll) {
  Waiters waiters(10);
  bool secondPolled = false;
  Waiters::Id second = 0;
  waiters.park(
      0,
      [&] {
        waiters.cancel(second);
        return false;
      },
      nullptr);
  second = waiters.park(
      0, [&] { return secondPolled = true; }, nullptr);
  waiters.poll();
  EXPECT_FALSE(secondPolled);
  EXPECT_EQ(waiters.size(), 1u);
}

TEST(Waiters, ReadyMayCancelItself) {
  Waiters waiters(10);
  Waiters::Id self = 0;
  int calls = 0;
  self = waiters.park(
      0,
      [&] {
        ++calls;
        waiters.cancel(self);
        return true;
      },
      nullptr);
  waiters.poll();
  waiters.poll();
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(waiters.size(), 0u);
}

TEST(Waiters, WaiterParkedDuringPollWaitsForTheNextPoll) {
  Waiters waiters(10);
  int innerCalls = 0;
  bool parked = false;
  waiters.park(
      0,
      [&] {
        if (!parked) {
          parked = true;
          waiters.park(
              0, [&] { return ++innerCalls > 0; }, nullptr);
        }
        return true;
      },
      nullptr);
  waiters.poll();
  EXPECT_EQ(innerCalls, 0);
  EXPECT_EQ(waiters.size(), 1u);
  waiters.poll();
  EXPECT_EQ(innerCalls, 1);
  EXPECT_EQ(waiters.size(), 0u);
}

TEST(Waiters, ExpiryMayCancelAWaiterDueInTheSameRound) {
  Waiters waiters(10);
  Waiters::Id second = 0;
  bool secondExpired = false;
  waiters.park(
      10, [] { return false; }, [&] { waiters.cancel(second); });
  second = waiters.park(
      10, [] { return false; }, [&] { secondExpired = true; });
  waiters.expire(10);
  EXPECT_FALSE(secondExpired);
  EXPECT_EQ(waiters.size(), 0u);
}

TEST(Waiters, ExpiryMayParkANewWaiter) {
  Waiters waiters(10);
  waiters.park(
      10, [] { return false; },
      [&] {
        waiters.park(
            20, [] { return false; }, nullptr);
      });
  waiters.expire(10);
  EXPECT_EQ(waiters.size(), 1u);
  waiters.expire(20);
  EXPECT_EQ(waiters.size(), 0u);
}

}  // namespace
}  // namespace tidecast::delivery::cmaf
