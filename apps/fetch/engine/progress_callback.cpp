// libcurl's progress callback, called by libcurl about once a second and on every transfer event:
// it ends the transfers of a stopped run, and watches for body bytes that stop moving, so that the
// progress line can name the host that stalls and the error can say the stall ended the attempt.

#include <atomic>

#include "engine/attempt.hpp"

namespace fetch {

int Attempt::on_progress(void* user, curl_off_t, curl_off_t now_bytes, curl_off_t, curl_off_t) {
  auto* a = static_cast<Attempt*>(user);
  if (a->options_.stop != nullptr && a->options_.stop->load(std::memory_order_relaxed)) return 1;
  // An exception must not cross libcurl's C frames: the watch only informs, so it is dropped.
  try {
    return a->watch_stall(now_bytes) ? 1 : 0;
  } catch (const std::exception&) {
    return 0;
  }
}

bool Attempt::watch_stall(curl_off_t now_bytes) {
  // A transfer paused for the --rate cap waits for us, not for the server.
  if (now_bytes != progress_bytes_ || paused_until_) {
    stall_over();
    progress_bytes_ = now_bytes;
    idle_since_.reset();
    return false;
  }
  const auto now = std::chrono::steady_clock::now();
  if (!idle_since_) {
    idle_since_ = now;
    return false;
  }
  const auto idle = now - *idle_since_;
  // libcurl's own limit (EasyHandle) calls back every second while nothing comes, but ends the
  // transfer only once its 5-second speed window is empty too: the limit is kept here, on time.
  if (options_.low_speed_bytes == 0 && options_.stall_timeout.count() > 0 && idle >= options_.stall_timeout) {
    stalled_ = true;
    return true;
  }
  if (options_.stalls != nullptr && stalled_host_.empty() && idle >= Stalls::shown_after(options_.stall_timeout)) {
    stalled_host_ = current_host();
    options_.stalls->began(stalled_host_, *idle_since_);
  }
  return false;
}

void Attempt::stall_over() {
  if (stalled_host_.empty()) return;
  options_.stalls->ended(stalled_host_, *idle_since_);
  stalled_host_.clear();
}

std::string Attempt::current_host() const {
  char* effective = nullptr;
  curl_easy_getinfo(curl_, CURLINFO_EFFECTIVE_URL, &effective);
  std::string host;
  CURLU* u = curl_url();
  char* part = nullptr;
  if (u != nullptr && effective != nullptr && curl_url_set(u, CURLUPART_URL, effective, 0) == CURLUE_OK &&
      curl_url_get(u, CURLUPART_HOST, &part, 0) == CURLUE_OK) {
    host = part;
  }
  curl_free(part);
  curl_url_cleanup(u);
  return host;
}

std::string Attempt::stall_reason() const {
  if (!stalled_) return "";
  const std::string host = stalled_host_.empty() ? current_host() : stalled_host_;
  return "stalled: no data from " + host + " for " + std::to_string(options_.stall_timeout.count()) +
         " s (--stall-timeout)";
}

}  // namespace fetch
