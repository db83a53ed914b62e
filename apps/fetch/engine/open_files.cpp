#include "engine/open_files.hpp"

#include <sys/resource.h>

#include <algorithm>

namespace fetch {

std::size_t transfers_for_open_files(std::uint64_t open_files) {
  if (open_files <= kFilesReserved + kFilesPerTransfer) return 1;
  return static_cast<std::size_t>((open_files - kFilesReserved) / kFilesPerTransfer);
}

std::size_t idle_connections_within_open_file_limit(std::size_t transfers) {
  const std::size_t fit = transfers_within_open_file_limit();
  return fit > transfers ? (fit - transfers) * kFilesPerTransfer : 0;
}

std::size_t transfers_within_open_file_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return transfers_for_open_files(1024);
  if (limit.rlim_cur != RLIM_INFINITY && (limit.rlim_max == RLIM_INFINITY || limit.rlim_cur < limit.rlim_max)) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max == RLIM_INFINITY ? std::max<rlim_t>(limit.rlim_cur, 1 << 20) : limit.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  if (limit.rlim_cur == RLIM_INFINITY) return transfers_for_open_files(std::uint64_t{1} << 20);
  return transfers_for_open_files(limit.rlim_cur);
}

}  // namespace fetch
