#pragma once
// A whole conc-fetch run: read the list, plan names, download on the thread pool, record.

#include <iosfwd>

#include "cli/options.hpp"

namespace fetch {

// Exit code: 0 when every URL succeeded or was skipped, 1 when any failed, 2 for a usage error.
int run(const Options& options, std::istream& list_in, std::ostream& out, std::ostream& err);

}  // namespace fetch
