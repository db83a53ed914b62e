#pragma once
// Collects what reaches conc::report_unhandled while it lives (and restores the previous handler).

#include <conc/unhandled.hpp>

#include <exception>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

class UnhandledLog {
 public:
  UnhandledLog() {
    previous_ = conc::set_unhandled_handler([this](std::exception_ptr e, std::string_view where) {
      std::lock_guard lock(mutex_);
      lines_.push_back(std::string(where) + ": " + conc::describe_exception(e));
    });
  }
  ~UnhandledLog() { conc::set_unhandled_handler(std::move(previous_)); }
  UnhandledLog(const UnhandledLog&) = delete;
  UnhandledLog& operator=(const UnhandledLog&) = delete;
  std::vector<std::string> lines() {
    std::lock_guard lock(mutex_);
    return lines_;
  }

 private:
  std::mutex mutex_;
  std::vector<std::string> lines_;
  conc::UnhandledHandler previous_;
};
