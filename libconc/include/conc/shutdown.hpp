#pragma once
// How a pool stops, and what submitting to a stopped pool raises.

#include <stdexcept>

namespace conc {

enum class Shutdown {
  Drain,   // run every queued task, then stop
  Cancel,  // drop queued tasks (their futures hold conc::Cancelled), finish running ones, stop
};

// Thrown by submit() after shutdown.
class PoolClosed : public std::runtime_error {
 public:
  PoolClosed() : std::runtime_error("conc: pool is shut down") {}
};

}  // namespace conc
