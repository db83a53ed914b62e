#include "engine/scheduler.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>

namespace fetch {

void Scheduler::add(std::size_t index, const std::string& host) {
  {
    std::lock_guard lock(mutex_);
    ready_[host].push_back(index);
    ++ready_count_;
  }
  changed_.notify_one();
}

void Scheduler::retry(std::size_t index, const std::string& host, Clock::time_point due, std::string why) {
  {
    std::lock_guard lock(mutex_);
    delayed_.push(Delayed{due, seq_++, index, host, std::move(why)});
  }
  changed_.notify_all();
}

void Scheduler::close_input() {
  {
    std::lock_guard lock(mutex_);
    input_closed_ = true;
  }
  changed_.notify_all();
}

void Scheduler::cancel() {
  {
    std::lock_guard lock(mutex_);
    cancelled_ = true;
  }
  changed_.notify_all();
}

void Scheduler::release(const std::string& host) {
  {
    std::lock_guard lock(mutex_);
    if (auto it = active_.find(host); it != active_.end() && --it->second == 0) active_.erase(it);
    --running_;
    if (ready_.count(host) != 0) {
      ++idle_[host];
      ++idle_total_;
    }
  }
  changed_.notify_all();
}

std::size_t Scheduler::idle_connections() const {
  std::lock_guard lock(mutex_);
  return idle_total_;
}

std::size_t Scheduler::in_flight() const {
  std::lock_guard lock(mutex_);
  return running_;
}

Scheduler::Waiting Scheduler::waiting() const {
  std::lock_guard lock(mutex_);
  Waiting w;
  w.running = running_;
  if (per_host_ != 0) {
    std::size_t most = 0;
    for (const auto& [host, queue] : ready_) {
      const auto active = active_.find(host);
      if (queue.empty() || active == active_.end() || active->second < per_host_) continue;
      w.held_by_host += queue.size();
      if (queue.size() > most) {
        most = queue.size();
        w.host = host;
      }
    }
  }
  w.retries = delayed_.size();
  if (!delayed_.empty()) {
    w.next_due = delayed_.top().due;
    w.next_why = delayed_.top().why;
  }
  return w;
}

bool Scheduler::all_done_locked() const {
  return input_closed_ && ready_count_ == 0 && delayed_.empty() && running_ == 0;
}

std::optional<Scheduler::Grant> Scheduler::take_ready_locked() {
  // Due retries join the ready queues first.
  const auto now = Clock::now();
  while (!delayed_.empty() && delayed_.top().due <= now) {
    ready_[delayed_.top().host].push_back(delayed_.top().index);
    ++ready_count_;
    delayed_.pop();
  }
  if (ready_count_ == 0) return std::nullopt;
  auto grant = [&](std::map<std::string, std::deque<std::size_t>>::iterator at) {
    auto& [host, queue] = *at;
    Grant g{queue.front(), host};
    queue.pop_front();
    --ready_count_;
    ++active_[host];
    ++running_;
    if (queue.empty()) {
      if (auto idle = idle_.find(host); idle != idle_.end()) {
        idle_total_ -= idle->second;
        idle_.erase(idle);
      }
      ready_.erase(at);
    }
    return g;
  };
  auto running = [&](const std::string& host) {
    const auto active = active_.find(host);
    return active == active_.end() ? std::size_t{0} : active->second;
  };
  const auto full = [&](const std::string& host) { return per_host_ != 0 && running(host) >= per_host_; };
  // A host with an idle connection first.
  for (auto idle = idle_.begin(); idle != idle_.end(); ++idle) {
    if (full(idle->first)) continue;
    const auto at = ready_.find(idle->first);
    --idle_total_;
    if (--idle->second == 0) idle_.erase(idle);
    return grant(at);
  }
  // Then round-robin over hosts, starting after the last one served: a host with nothing running
  // (whose next download needs a connection anyway) before another connection to a busy one.
  for (const bool busy_too : {false, true}) {
    auto start = ready_.upper_bound(last_host_);
    for (std::size_t visited = 0; visited < ready_.size(); ++visited, ++start) {
      if (start == ready_.end()) start = ready_.begin();
      if (busy_too ? full(start->first) : running(start->first) > 0) continue;
      last_host_ = start->first;
      return grant(start);
    }
  }
  return std::nullopt;
}

std::optional<Scheduler::Grant> Scheduler::next() {
  std::unique_lock lock(mutex_);
  for (;;) {
    if (cancelled_) return std::nullopt;
    if (auto g = take_ready_locked()) return g;
    if (all_done_locked()) {
      changed_.notify_all();  // wake the other workers: all done
      return std::nullopt;
    }
    if (!delayed_.empty()) {
      // A copy: wait_until keeps its argument by reference while the lock is released, and a retry
      // pushed meanwhile may move the queue's elements.
      const Clock::time_point due = delayed_.top().due;
      changed_.wait_until(lock, due);
    } else {
      changed_.wait(lock);
    }
  }
}

std::optional<Scheduler::Grant> Scheduler::next_until(Clock::time_point deadline) {
  std::unique_lock lock(mutex_);
  for (;;) {
    if (cancelled_) return std::nullopt;
    if (auto g = take_ready_locked()) return g;
    if (all_done_locked()) {
      changed_.notify_all();
      return std::nullopt;
    }
    if (Clock::now() >= deadline) return std::nullopt;
    const Clock::time_point until = delayed_.empty() ? deadline : std::min(deadline, delayed_.top().due);
    changed_.wait_until(lock, until);
  }
}

std::optional<Scheduler::Grant> Scheduler::try_next() {
  std::lock_guard lock(mutex_);
  if (cancelled_) return std::nullopt;
  return take_ready_locked();
}

std::optional<Scheduler::Clock::time_point> Scheduler::next_due() const {
  std::lock_guard lock(mutex_);
  if (delayed_.empty()) return std::nullopt;
  return delayed_.top().due;
}

bool Scheduler::done() const {
  std::lock_guard lock(mutex_);
  return cancelled_ || all_done_locked();
}

void work_on(Scheduler& scheduler, const Scheduler::Grant& grant,
             const std::function<void(const Scheduler::Grant&)>& attempt,
             const std::function<void(const Scheduler::Grant&, const std::string& reason)>& on_failure) {
  struct Release {
    Scheduler& scheduler;
    const std::string& host;
    ~Release() { scheduler.release(host); }
  } release{scheduler, grant.host};
  try {
    attempt(grant);
  } catch (const std::exception& e) {
    on_failure(grant, e.what());
  } catch (...) {
    on_failure(grant, "unknown exception");
  }
}

void work_through(Scheduler& scheduler, const std::function<void(const Scheduler::Grant&)>& attempt,
                  const std::function<void(const Scheduler::Grant&, const std::string& reason)>& on_failure) {
  while (auto grant = scheduler.next()) work_on(scheduler, *grant, attempt, on_failure);
}

std::chrono::milliseconds backoff(unsigned attempt, std::mt19937_64& rng, std::chrono::milliseconds base,
                                  std::chrono::milliseconds cap) {
  const auto ceiling = std::min<std::int64_t>(cap.count(), base.count() << std::min(attempt, 20u));
  std::uniform_int_distribution<std::int64_t> pick(0, std::max<std::int64_t>(ceiling - 1, 0));
  return std::chrono::milliseconds(pick(rng));
}

std::optional<std::chrono::seconds> parse_retry_after(const std::string& value, std::int64_t now) {
  std::string v = value;
  while (!v.empty() && std::isspace(static_cast<unsigned char>(v.back()))) v.pop_back();
  while (!v.empty() && std::isspace(static_cast<unsigned char>(v.front()))) v.erase(v.begin());
  if (v.empty()) return std::nullopt;
  if (std::all_of(v.begin(), v.end(), [](unsigned char c) { return std::isdigit(c); })) {
    if (v.size() > 9) return std::chrono::seconds(999'999'999);
    return std::chrono::seconds(std::stoll(v));
  }
  const time_t when = curl_getdate(v.c_str(), nullptr);  // RFC 7231 HTTP-date
  if (when < 0) return std::nullopt;
  return std::chrono::seconds(std::max<std::int64_t>(0, static_cast<std::int64_t>(when) - now));
}

}  // namespace fetch
