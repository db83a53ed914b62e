#pragma once
/// @file
/// Progress: a terminal progress bar (done/total, rate, ETA, optional bytes).
/// It draws only when its stream is a terminal and stays silent otherwise, so
/// logs and pipes get clean output. Thread-safe; redraws at most 10 times a second.
///
/// ```
/// conc::Progress bar(images.size(), {.unit = "img"});
/// ... bar.advance(); ...
/// bar.finish();
/// ```

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>

namespace conc {

/// How a Progress bar looks and where it draws.
struct ProgressOptions {
  std::string label{};         ///< printed before the bar
  std::string unit = "items";  ///< what an item is called: "img", "files"
  std::FILE* stream = stderr;  ///< where the bar is drawn
  /// When the bar draws.
  enum class Mode {
    Auto,               ///< only when stream is a terminal
    Always,             ///< even into a file or a pipe
    Never               ///< never: the counts are still kept
  } mode = Mode::Auto;  ///< when the bar draws
  int width = 0;        ///< 0: the terminal's width, else 80
};

/// The counts a Progress bar shows, at one moment.
struct ProgressSnapshot {
  std::uint64_t done = 0;      ///< items finished, failed ones included
  std::uint64_t total = 0;     ///< 0: unknown
  std::uint64_t failed = 0;    ///< of done: those that failed
  std::uint64_t bytes = 0;     ///< bytes handled so far, shown with their rate when not 0
  double elapsed_seconds = 0;  ///< since the bar was made
  std::string status{};        ///< what the work is doing or waiting for; shown after the counts
};

/// One line of progress, without terminal control characters, fitted to width.
std::string format_progress(const ProgressSnapshot& s, const std::string& label, const std::string& unit, int width);
/// "1.5 MB", "812 kB", "12 B" (decimal units).
std::string format_bytes(double bytes);
/// "1:05", "1:02:03", "--:--" when unknown.
std::string format_duration(double seconds);

/// A progress bar on one terminal line that any thread may update. Not copyable.
class Progress {
 public:
  /// A bar for total items (0: unknown); it draws only if options.mode and the stream allow.
  explicit Progress(std::uint64_t total, ProgressOptions options = {});
  ~Progress();  ///< finish()
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  /// Counts n more items done, as failed when failed is true.
  void advance(std::uint64_t n = 1, bool failed = false);
  /// Counts n more bytes handled.
  void add_bytes(std::uint64_t n);
  /// Changes the total (0: unknown), for work whose size is learnt on the way.
  void set_total(std::uint64_t total);
  /// A short note after the counts ("waiting 30 s: Retry-After from example.com", "thumbnailed
  /// 120"); empty removes it. Redraws at once when it changes.
  void set_status(std::string status);
  /// Clears the bar's line, so that a message can be printed on it; the next update redraws.
  void clear();
  /// Draws the final state and ends the line. Idempotent.
  void finish();
  /// Whether the bar draws (see ProgressOptions::mode).
  bool enabled() const noexcept { return enabled_; }
  /// The counts now.
  ProgressSnapshot snapshot() const;

 private:
  void maybe_draw(bool force);

  ProgressOptions options_;
  bool enabled_;
  bool finished_ = false;
  mutable std::mutex mutex_;
  ProgressSnapshot state_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_{};
};

}  // namespace conc
