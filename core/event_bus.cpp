#include "core/event_bus.h"

#include <algorithm>

namespace tidecast::core {

EventBus::SubscriptionId EventBus::subscribe(std::string type, Handler handler) {
  SubscriptionId id = nextId_++;
  subscriptions_.push_back({id, std::move(type), std::move(handler)});
  return id;
}

void EventBus::unsubscribe(SubscriptionId id) {
  for (auto& s : subscriptions_) {
    if (s.id == id) s.active = false;
  }
  if (publishing_ == 0) std::erase_if(subscriptions_, [](const auto& s) { return !s.active; });
}

void EventBus::publish(const Event& event) {
  ++publishing_;
  // Index loop: handlers may subscribe (append) while we deliver; new ones see the next event.
  size_t count = subscriptions_.size();
  for (size_t i = 0; i < count; ++i) {
    if (!subscriptions_[i].active) continue;
    if (!subscriptions_[i].type.empty() && subscriptions_[i].type != event.type) continue;
    Handler handler = subscriptions_[i].handler;  // the vector may grow during the call
    handler(event);
  }
  if (--publishing_ == 0) {
    std::erase_if(subscriptions_, [](const auto& s) { return !s.active; });
  }
}

}  // namespace tidecast::core
