// libcurl's progress callback, called by libcurl about once a second and on every transfer event.

#include <atomic>

#include "engine/easy_handle.hpp"

namespace fetch {

int on_progress(void* stop, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<const std::atomic<bool>*>(stop)->load(std::memory_order_relaxed) ? 1 : 0;
}

}  // namespace fetch
