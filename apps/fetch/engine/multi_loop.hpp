#pragma once
// The multi engine's event loop: libcurl's socket interface (curl_multi_socket_action) on epoll,
// so each wake-up costs work only for the connections that have something to do, however many
// transfers are open.

#include <curl/curl.h>

#include <conc/fd.hpp>

#include <chrono>
#include <cstddef>
#include <utility>
#include <vector>

namespace fetch {

class MultiLoop {
 public:
  using Clock = std::chrono::steady_clock;
  struct Finished {
    CURL* easy;
    CURLcode code;
  };

  // per_host: connections libcurl may open to one host (0: no limit); streams: transfers one
  // HTTP/2 connection may carry at once, as far as the server allows.
  explicit MultiLoop(std::size_t per_host = 0, std::size_t streams = 100);
  ~MultiLoop();
  MultiLoop(const MultiLoop&) = delete;
  MultiLoop& operator=(const MultiLoop&) = delete;

  void add(CURL* easy);
  // How many connections, in use or idle, libcurl's cache keeps (it closes the longest idle beyond).
  void keep_connections(std::size_t most);
  std::size_t size() const { return transfers_; }

  // Waits up to `most` for network activity or libcurl's own timers, lets libcurl act on it
  // and returns the transfers that finished (already taken out of the loop).
  const std::vector<Finished>& poll(std::chrono::milliseconds most);
  // Lets libcurl send the requests of transfers just added, without waiting.
  void kick() { act(CURL_SOCKET_TIMEOUT, 0); }
  // Ends the current or next poll() at once; callable from any thread.
  void wake();

 private:
  static int on_socket(CURL* easy, curl_socket_t fd, int what, void* user, void* registered);
  static int on_timer(CURLM* multi, long timeout_ms, void* user);
  void act(curl_socket_t fd, int flags);

  CURLM* multi_;
  conc::Fd epoll_;
  conc::Fd wake_;  // an eventfd in the epoll set
  std::size_t transfers_ = 0;
  std::size_t kept_ = 0;
  bool timer_set_ = false;
  Clock::time_point timer_due_{};
  std::vector<Finished> finished_;
};

}  // namespace fetch
