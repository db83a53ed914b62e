#pragma once
/// @file
/// Where exceptions go that have no caller to reach: a future's callback that throws, a detached
/// task that fails, a ProcessPool completion that throws. They are never dropped and never
/// terminate the program: each is handed to one process-wide handler, by default a one-line
/// message on stderr ("conc: a future callback threw: bug").
///
/// ```
/// conc::set_unhandled_handler([](std::exception_ptr e, std::string_view where) { log(where, e); });
/// ```

#include <exception>
#include <functional>
#include <string>
#include <string_view>

namespace conc {

/// Receives an exception nobody else can, and where it came from. It may run on any thread.
using UnhandledHandler = std::function<void(std::exception_ptr, std::string_view where)>;

/// Installs handler (an empty one restores the default) and returns the previous one.
UnhandledHandler set_unhandled_handler(UnhandledHandler handler);

/// Hands e to the handler; where says what threw ("a future callback", "a detached task").
/// Never throws: a handler that throws is ignored.
void report_unhandled(std::exception_ptr e, std::string_view where) noexcept;

/// The exception's what(), or a description when it is not a std::exception.
std::string describe_exception(const std::exception_ptr& e);

}  // namespace conc
