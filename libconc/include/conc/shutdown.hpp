#pragma once
/// @file
/// How a pool stops, and what submitting to a stopped pool raises.

#include <stdexcept>

namespace conc {

/// How a pool's shutdown() treats the tasks that have not finished.
enum class Shutdown {
  Drain,   ///< run every queued task, then stop
  Cancel,  ///< drop queued tasks (ThreadPool: their futures hold conc::Cancelled, running ones finish), stop
};

/// Thrown by submit() after shutdown.
class PoolClosed : public std::runtime_error {
 public:
  PoolClosed() : std::runtime_error("conc: pool is shut down") {}
};

}  // namespace conc
