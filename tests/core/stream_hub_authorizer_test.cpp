// StreamHub access authorizers: chaining, renaming, denial, asynchronous answers, the limit.
#include <gtest/gtest.h>
#include <spdlog/sinks/null_sink.h>

#include "core/log.h"
#include "core/stream_hub.h"

namespace tidecast::core {
namespace {

class HubAuthorizerTest : public ::testing::Test {
 protected:
  HubAuthorizerTest()
      : log_(makeLogger(config_.get<core::LogConfig>(),
                        std::make_shared<spdlog::sinks::null_sink_mt>())),
        context_{loop_, metrics_, *log_, config_},
        hub_(context_, events_) {}

  AccessRequest publish(std::string key) {
    return {AccessRequest::Kind::kPublish, "live", std::move(key), "", 1, "rtmp", "p"};
  }
  // Runs authorize() and returns "key" or "error:code"; "" while pending.
  std::shared_ptr<std::string> ask(AccessRequest request) {
    auto out = std::make_shared<std::string>();
    hub_.authorize(std::move(request), [out](Result<std::string> result) {
      *out = result ? *result : "error:" + result.error().code;
    });
    return out;
  }

  Config config_;
  Loop loop_;
  MetricsRegistry metrics_;
  std::shared_ptr<spdlog::logger> log_;
  LoopContext context_;
  EventBus events_;
  StreamHub hub_;
};

TEST_F(HubAuthorizerTest, WithoutAuthorizersEverythingPassesAtOnce) {
  EXPECT_EQ(*ask(publish("cam")), "cam");
}

TEST_F(HubAuthorizerTest, AuthorizersChainAndSeeTheRenamedKey) {
  std::vector<std::string> seen;
  hub_.addAuthorizer(AccessRequest::Kind::kPublish, [&](const AccessRequest& r, AccessDone done) {
    seen.push_back(r.key);
    done(r.key + "-renamed");
  });
  hub_.addAuthorizer(AccessRequest::Kind::kPublish, [&](const AccessRequest& r, AccessDone done) {
    seen.push_back(r.key);
    done(r.key);
  });
  hub_.addAuthorizer(AccessRequest::Kind::kPlay, [](const AccessRequest&, AccessDone done) {
    done(makeError("x.play_only", "not for publishes"));
  });
  EXPECT_EQ(*ask(publish("cam")), "cam-renamed");
  EXPECT_EQ(seen, (std::vector<std::string>{"cam", "cam-renamed"}));
}

TEST_F(HubAuthorizerTest, TheFirstDenialWinsAndLaterAuthorizersAreNotAsked) {
  int asked = 0;
  hub_.addAuthorizer(AccessRequest::Kind::kPublish, [](const AccessRequest&, AccessDone done) {
    done(makeError("webhook.denied", "no"));
  });
  hub_.addAuthorizer(AccessRequest::Kind::kPublish, [&](const AccessRequest& r, AccessDone done) {
    ++asked;
    done(r.key);
  });
  EXPECT_EQ(*ask(publish("cam")), "error:webhook.denied");
  EXPECT_EQ(asked, 0);
}

TEST_F(HubAuthorizerTest, AnswersMayComeLaterAndPendingOnesAreLimited) {
  std::vector<AccessDone> parked;
  uint64_t id = hub_.addAuthorizer(
      AccessRequest::Kind::kPublish,
      [&](const AccessRequest&, AccessDone done) { parked.push_back(std::move(done)); });
  auto first = ask(publish("a"));
  EXPECT_EQ(*first, "");
  EXPECT_EQ(hub_.pendingAuthorizations(), 1u);
  parked.front()(std::string("a"));
  EXPECT_EQ(*first, "a");
  EXPECT_EQ(hub_.pendingAuthorizations(), 0u);

  parked.clear();
  for (size_t i = 0; i < StreamHub::kMaxPendingAuthorizations; ++i) (void)ask(publish("k"));
  EXPECT_EQ(*ask(publish("one-too-many")), "error:hub.auth_busy");
  for (auto& done : parked) done(std::string("k"));
  EXPECT_EQ(hub_.pendingAuthorizations(), 0u);

  hub_.removeAuthorizer(id);
  EXPECT_EQ(*ask(publish("free")), "free");
}

}  // namespace
}  // namespace tidecast::core
