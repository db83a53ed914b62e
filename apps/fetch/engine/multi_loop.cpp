#include "engine/multi_loop.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>

namespace fetch {

MultiLoop::MultiLoop(std::size_t per_host, std::size_t streams)
    : multi_(curl_multi_init()),
      epoll_(::epoll_create1(EPOLL_CLOEXEC)),
      wake_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = wake_.get();
  if (multi_ == nullptr || !epoll_ || !wake_ || ::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, wake_.get(), &ev) != 0) {
    const int err = errno;
    if (multi_ != nullptr) curl_multi_cleanup(multi_);
    throw std::runtime_error(std::string("cannot create the event loop: ") + std::strerror(err));
  }
  curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, &MultiLoop::on_socket);
  curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
  curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, &MultiLoop::on_timer);
  curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, this);
  curl_multi_setopt(multi_, CURLMOPT_MAX_HOST_CONNECTIONS, static_cast<long>(per_host));
  // libcurl's own cap (100) would open a second connection before the server's (nginx: 128) is reached.
  curl_multi_setopt(multi_, CURLMOPT_MAX_CONCURRENT_STREAMS, static_cast<long>(std::max<std::size_t>(streams, 1)));
}

void MultiLoop::keep_connections(std::size_t most) {
  if (most == kept_) return;
  kept_ = most;
  curl_multi_setopt(multi_, CURLMOPT_MAXCONNECTS, static_cast<long>(most));
}

MultiLoop::~MultiLoop() { curl_multi_cleanup(multi_); }

void MultiLoop::add(CURL* easy) {
  const CURLMcode code = curl_multi_add_handle(multi_, easy);
  if (code != CURLM_OK) throw std::runtime_error(std::string("cannot start a transfer: ") + curl_multi_strerror(code));
  ++transfers_;
}

int MultiLoop::on_socket(CURL*, curl_socket_t fd, int what, void* user, void* registered) {
  auto* self = static_cast<MultiLoop*>(user);
  if (what == CURL_POLL_REMOVE) {
    ::epoll_ctl(self->epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);  // fails harmlessly when curl closed it already
    curl_multi_assign(self->multi_, fd, nullptr);
    return 0;
  }
  epoll_event ev{};
  ev.data.fd = fd;
  if (what == CURL_POLL_IN || what == CURL_POLL_INOUT) ev.events |= EPOLLIN;
  if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT) ev.events |= EPOLLOUT;
  if (registered != nullptr) {
    ::epoll_ctl(self->epoll_.get(), EPOLL_CTL_MOD, fd, &ev);
  } else {
    ::epoll_ctl(self->epoll_.get(), EPOLL_CTL_ADD, fd, &ev);
    curl_multi_assign(self->multi_, fd, self);  // any non-null marker: "in the epoll set"
  }
  return 0;
}

int MultiLoop::on_timer(CURLM*, long timeout_ms, void* user) {
  auto* self = static_cast<MultiLoop*>(user);
  self->timer_set_ = timeout_ms >= 0;
  if (self->timer_set_) self->timer_due_ = Clock::now() + std::chrono::milliseconds(timeout_ms);
  return 0;
}

void MultiLoop::wake() {
  const std::uint64_t one = 1;
  [[maybe_unused]] const ssize_t n = ::write(wake_.get(), &one, sizeof one);  // EAGAIN: a wake-up is pending already
}

void MultiLoop::act(curl_socket_t fd, int flags) {
  int running = 0;
  curl_multi_socket_action(multi_, fd, flags, &running);
}

const std::vector<MultiLoop::Finished>& MultiLoop::poll(std::chrono::milliseconds most) {
  finished_.clear();
  auto wait = most;
  if (timer_set_) {
    const auto until = std::chrono::duration_cast<std::chrono::milliseconds>(timer_due_ - Clock::now());
    wait = std::clamp(until, std::chrono::milliseconds(0), most);
  }
  epoll_event events[256];
  const int n = ::epoll_wait(epoll_.get(), events, 256, static_cast<int>(wait.count()));
  for (int i = 0; i < n; ++i) {
    if (events[i].data.fd == wake_.get()) {
      std::uint64_t count = 0;
      [[maybe_unused]] const ssize_t r = ::read(wake_.get(), &count, sizeof count);
      continue;
    }
    int flags = 0;
    if (events[i].events & EPOLLIN) flags |= CURL_CSELECT_IN;
    if (events[i].events & EPOLLOUT) flags |= CURL_CSELECT_OUT;
    if (events[i].events & (EPOLLERR | EPOLLHUP)) flags |= CURL_CSELECT_ERR;
    act(events[i].data.fd, flags);
  }
  if (timer_set_ && Clock::now() >= timer_due_) {
    timer_set_ = false;
    act(CURL_SOCKET_TIMEOUT, 0);
  }
  int left = 0;
  while (CURLMsg* msg = curl_multi_info_read(multi_, &left)) {
    if (msg->msg != CURLMSG_DONE) continue;
    finished_.push_back(Finished{msg->easy_handle, msg->data.result});
  }
  for (const Finished& f : finished_) {
    curl_multi_remove_handle(multi_, f.easy);
    --transfers_;
  }
  return finished_;
}

}  // namespace fetch
