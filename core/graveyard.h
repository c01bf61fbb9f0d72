// Frees objects on the next loop turn. An object whose own callback decides it is finished
// (a connection that closes, a viewer that leaves) hands itself here instead of deleting
// itself while its member functions are still on the stack.
#pragma once

#include <memory>
#include <vector>

#include "core/loop.h"

namespace tidecast::core {

template <class T>
class Graveyard {
 public:
  explicit Graveyard(Loop& loop) : timer_(loop) {}

  void bury(std::unique_ptr<T> object) {
    if (!object) return;
    graves_.push_back(std::move(object));
    if (graves_.size() == 1) timer_.start(0, 0, [this] { clear(); });
  }
  void clear() {
    // Destructors may bury more; those wait for the next turn.
    auto graves = std::move(graves_);
    graves_.clear();
    graves.clear();
    if (!graves_.empty()) timer_.start(0, 0, [this] { clear(); });
  }

 private:
  std::vector<std::unique_ptr<T>> graves_;
  Timer timer_;
};

}  // namespace tidecast::core
