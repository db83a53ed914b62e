#include "conc/progress.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>

namespace conc {

namespace {

bool is_terminal(std::FILE* stream) {
  if (stream == nullptr || isatty(fileno(stream)) == 0) return false;
  const char* term = std::getenv("TERM");
  return term == nullptr || std::strcmp(term, "dumb") != 0;
}

int terminal_width(std::FILE* stream) {
  winsize ws{};
  if (stream != nullptr && ioctl(fileno(stream), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20) return ws.ws_col;
  return 80;
}

std::string printf_string(const char* format, double a, double b = 0) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, a, b);
  return buf;
}

}  // namespace

std::string format_bytes(double bytes) {
  static const char* const units[] = {"B", "kB", "MB", "GB", "TB"};
  int u = 0;
  while (bytes >= 1000 && u < 4) {
    bytes /= 1000;
    ++u;
  }
  if (u == 0) return printf_string("%.0f B", bytes);
  return printf_string(bytes < 10 ? "%.2f " : bytes < 100 ? "%.1f " : "%.0f ", bytes) + units[u];
}

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "--:--";
  const auto total = static_cast<long long>(std::llround(seconds));
  char buf[32];
  if (total >= 3600) {
    std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", total / 3600, (total / 60) % 60, total % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%lld:%02lld", total / 60, total % 60);
  }
  return buf;
}

std::string format_progress(const ProgressSnapshot& s, const std::string& label, const std::string& unit, int width) {
  const double rate = s.elapsed_seconds > 0 ? static_cast<double>(s.done) / s.elapsed_seconds : 0.0;
  std::string counts = std::to_string(s.done);
  if (s.total > 0) counts += "/" + std::to_string(s.total);
  std::string tail = " " + counts + " " + unit;
  if (s.failed > 0) tail += " (" + std::to_string(s.failed) + " failed)";
  tail += " " + printf_string(rate < 10 ? "%.1f" : "%.0f", rate) + "/s";
  if (s.bytes > 0) {
    tail += " " + format_bytes(static_cast<double>(s.bytes));
    if (s.elapsed_seconds > 0) tail += " " + format_bytes(static_cast<double>(s.bytes) / s.elapsed_seconds) + "/s";
  }
  if (s.total > 0) {
    const double remaining = static_cast<double>(s.total - std::min(s.done, s.total));
    tail += " ETA " + format_duration(rate > 0 ? remaining / rate : -1);
  }
  if (!s.status.empty()) {
    // The status gives way first when the line is narrow: the counts matter more.
    const int room = width - static_cast<int>(label.size() + tail.size()) - 4;
    if (room >= 8) {
      std::string status = s.status;
      if (static_cast<int>(status.size()) > room) status = status.substr(0, static_cast<std::size_t>(room - 3)) + "...";
      tail += " | " + status;
    }
  }
  std::string head = label.empty() ? "" : label + " ";
  const int bar_width = width - static_cast<int>(head.size() + tail.size()) - 2;
  if (s.total == 0 || bar_width < 10) return (head + tail.substr(1)).substr(0, static_cast<std::size_t>(width));
  const double fraction = std::min(1.0, static_cast<double>(s.done) / static_cast<double>(s.total));
  const int filled = static_cast<int>(fraction * bar_width);
  return head + "[" + std::string(static_cast<std::size_t>(filled), '#') +
         std::string(static_cast<std::size_t>(bar_width - filled), '.') + "]" + tail;
}

Progress::Progress(std::uint64_t total, ProgressOptions options)
    : options_(std::move(options)),
      enabled_(options_.mode == ProgressOptions::Mode::Always ||
               (options_.mode == ProgressOptions::Mode::Auto && is_terminal(options_.stream))),
      start_(std::chrono::steady_clock::now()) {
  state_.total = total;
  if (options_.width <= 0) options_.width = enabled_ ? terminal_width(options_.stream) - 1 : 80;
}

Progress::~Progress() { finish(); }

void Progress::advance(std::uint64_t n, bool failed) {
  std::lock_guard lock(mutex_);
  state_.done += n;
  if (failed) state_.failed += n;
  maybe_draw(false);
}

void Progress::add_bytes(std::uint64_t n) {
  std::lock_guard lock(mutex_);
  state_.bytes += n;
  maybe_draw(false);
}

void Progress::clear() {
  std::lock_guard lock(mutex_);
  if (!enabled_ || finished_) return;
  std::fputs("\r\x1b[K", options_.stream);
  std::fflush(options_.stream);
  last_draw_ = {};  // redraw at the next update
}

void Progress::set_total(std::uint64_t total) {
  std::lock_guard lock(mutex_);
  state_.total = total;
}

void Progress::set_status(std::string status) {
  std::lock_guard lock(mutex_);
  if (status == state_.status) return;
  state_.status = std::move(status);
  maybe_draw(true);
}

ProgressSnapshot Progress::snapshot() const {
  std::lock_guard lock(mutex_);
  ProgressSnapshot s = state_;
  s.elapsed_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  return s;
}

void Progress::finish() {
  std::lock_guard lock(mutex_);
  if (finished_) return;
  finished_ = true;
  if (!enabled_) return;
  maybe_draw(true);
  std::fputc('\n', options_.stream);
  std::fflush(options_.stream);
}

void Progress::maybe_draw(bool force) {
  if (!enabled_ || (finished_ && !force)) return;
  const auto now = std::chrono::steady_clock::now();
  if (!force && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  ProgressSnapshot s = state_;
  s.elapsed_seconds = std::chrono::duration<double>(now - start_).count();
  const std::string line = format_progress(s, options_.label, options_.unit, options_.width);
  std::fprintf(options_.stream, "\r%s\x1b[K", line.c_str());
  std::fflush(options_.stream);
}

}  // namespace conc
