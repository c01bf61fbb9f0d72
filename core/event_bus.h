// In-process events on one loop: the hub announces stream.started / stream.stopped /
// player.joined / player.left; plug-ins (admin API webhooks, social notifications) subscribe.
// Handlers run synchronously on the loop thread in subscription order and must not block.
// A handler may unsubscribe itself or others while an event is being delivered.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace tidecast::core {

struct Event {
  std::string type;      // "stream.started", "stream.stopped", "player.joined", "player.left"
  std::string stream;    // "app/key"
  uint64_t session = 0;  // the publisher's or player's session id
  std::string protocol;  // "rtmp", "http-flv", "srt", ...
  std::string peer;      // "ip:port"
  std::string reason;    // why a stream stopped or a player left ("" when ordinary)
  // Events that are not about a stream (social.*): a unique id, so consumers can drop a
  // re-delivery, and the event's fields as a JSON object.
  uint64_t id = 0;
  std::string payload;
};

class EventBus {
 public:
  using Handler = std::function<void(const Event&)>;
  using SubscriptionId = uint64_t;

  // `type` filters by event type; "" receives every event.
  SubscriptionId subscribe(std::string type, Handler handler);
  void unsubscribe(SubscriptionId id);
  void publish(const Event& event);

 private:
  struct Subscription {
    SubscriptionId id;
    std::string type;
    Handler handler;
    bool active = true;
  };
  std::vector<Subscription> subscriptions_;
  SubscriptionId nextId_ = 1;
  int publishing_ = 0;  // depth of nested publish() calls; removal is deferred while > 0
};

}  // namespace tidecast::core
