#include "conc/sizing.hpp"

#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>

namespace conc {

std::size_t threads_for(std::size_t cores, double blocking, std::size_t max_threads) {
  if (!(blocking >= 0.0)) blocking = 0.0;  // also catches NaN
  blocking = std::min(blocking, 0.999);
  const double ideal = static_cast<double>(std::max<std::size_t>(cores, 1)) / (1.0 - blocking);
  const auto rounded = static_cast<std::size_t>(std::llround(ideal));
  return std::clamp<std::size_t>(rounded, 1, std::max<std::size_t>(max_threads, 1));
}

std::chrono::nanoseconds thread_cpu_time() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

std::chrono::nanoseconds process_cpu_time() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

namespace {
// The run delay from a schedstat file: "cpu_ns run_delay_ns timeslices".
std::chrono::nanoseconds run_delay_from(const char* path) {
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::chrono::nanoseconds(0);
  char buf[128];
  const ssize_t n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  if (n <= 0) return std::chrono::nanoseconds(0);
  buf[n] = '\0';
  unsigned long long cpu = 0;
  unsigned long long delay = 0;
  if (std::sscanf(buf, "%llu %llu", &cpu, &delay) != 2) return std::chrono::nanoseconds(0);
  return std::chrono::nanoseconds(static_cast<std::int64_t>(delay));
}
}  // namespace

std::chrono::nanoseconds thread_run_delay() { return run_delay_from("/proc/thread-self/schedstat"); }

std::optional<bool> thread_blocked(int tid) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/self/task/%d/stat", tid);
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  char buf[512];
  const ssize_t n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  if (n <= 0) return std::nullopt;
  buf[n] = '\0';
  // "tid (name) S ...": the name may hold spaces and parentheses, the state follows the last ')'.
  const char* close = std::strrchr(buf, ')');
  if (close == nullptr || close[1] != ' ' || close[2] == '\0') return std::nullopt;
  return close[2] == 'S' || close[2] == 'D';
}

double BlockingMeter::Reading::coefficient() const {
  if (samples == 0 || wall.count() <= 0) return 0.0;
  const double ratio = static_cast<double>(cpu.count()) / static_cast<double>(wall.count());
  return std::clamp(1.0 - ratio, 0.0, 0.999);
}

void BlockingMeter::add(std::chrono::nanoseconds wall, std::chrono::nanoseconds cpu) {
  // A run cannot take less wall time than CPU time; the time waiting for a core, read a moment
  // apart from the clocks, can make it look so on a loaded machine.
  wall = std::max(wall, cpu);
  wall_ns_.fetch_add(wall.count(), std::memory_order_relaxed);
  cpu_ns_.fetch_add(cpu.count(), std::memory_order_relaxed);
  samples_.fetch_add(1, std::memory_order_relaxed);
  window_wall_ns_.fetch_add(wall.count(), std::memory_order_relaxed);
  window_cpu_ns_.fetch_add(cpu.count(), std::memory_order_relaxed);
  window_samples_.fetch_add(1, std::memory_order_relaxed);
}

BlockingMeter::Reading BlockingMeter::total() const {
  return {std::chrono::nanoseconds(wall_ns_.load(std::memory_order_relaxed)),
          std::chrono::nanoseconds(cpu_ns_.load(std::memory_order_relaxed)), samples_.load(std::memory_order_relaxed)};
}

BlockingMeter::Reading BlockingMeter::window() {
  return {std::chrono::nanoseconds(window_wall_ns_.exchange(0, std::memory_order_relaxed)),
          std::chrono::nanoseconds(window_cpu_ns_.exchange(0, std::memory_order_relaxed)),
          window_samples_.exchange(0, std::memory_order_relaxed)};
}

BlockingMeter::Scope::Scope(BlockingMeter& meter)
    : meter_(meter),
      wall_start_(std::chrono::steady_clock::now()),
      cpu_start_(thread_cpu_time()),
      run_delay_start_(thread_run_delay()) {}

BlockingMeter::Scope::~Scope() {
  const auto waited_for_core = thread_run_delay() - run_delay_start_;
  meter_.add(std::chrono::steady_clock::now() - wall_start_ - waited_for_core, thread_cpu_time() - cpu_start_);
}

}  // namespace conc
