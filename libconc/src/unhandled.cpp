#include "conc/unhandled.hpp"

#include <unistd.h>

#include <mutex>
#include <string>
#include <utility>

namespace conc {

namespace {

std::mutex handler_mutex;
UnhandledHandler& handler_slot() {
  static UnhandledHandler handler;
  return handler;
}

void write_default(const std::exception_ptr& e, std::string_view where) noexcept {
  try {
    std::string line = "conc: " + std::string(where) + " threw: " + describe_exception(e) + "\n";
    [[maybe_unused]] auto n = ::write(STDERR_FILENO, line.data(), line.size());
  } catch (...) {
    // Out of memory while reporting: nothing more can be said.
  }
}

}  // namespace

UnhandledHandler set_unhandled_handler(UnhandledHandler handler) {
  std::lock_guard lock(handler_mutex);
  return std::exchange(handler_slot(), std::move(handler));
}

void report_unhandled(std::exception_ptr e, std::string_view where) noexcept {
  UnhandledHandler handler;
  try {
    std::lock_guard lock(handler_mutex);
    handler = handler_slot();
  } catch (...) {
  }
  if (!handler) {
    write_default(e, where);
    return;
  }
  try {
    handler(std::move(e), where);
  } catch (...) {
    write_default(std::current_exception(), "the unhandled-exception handler");
  }
}

std::string describe_exception(const std::exception_ptr& e) {
  if (!e) return "no exception";
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    return ex.what();
  } catch (...) {
    return "an exception not derived from std::exception";
  }
}

}  // namespace conc
