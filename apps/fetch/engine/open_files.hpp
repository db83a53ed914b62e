#pragma once
// How many transfers may be open at once before the process runs out of file descriptors.

#include <cstddef>
#include <cstdint>

namespace fetch {

// Descriptors one transfer may hold at once: its socket, its part file, and while a new
// connection's name is resolved, the two ends of libcurl's resolver pipe.
inline constexpr std::size_t kFilesPerTransfer = 4;
// Kept for everything else: the standard streams, the manifest, the folder lock, epoll, the list.
inline constexpr std::size_t kFilesReserved = 64;

// The transfers that fit in `open_files` descriptors (at least 1).
std::size_t transfers_for_open_files(std::uint64_t open_files);

// Idle connections a connection cache may keep open beside `transfers` transfers (one descriptor
// each), within this process's limit on open files.
std::size_t idle_connections_within_open_file_limit(std::size_t transfers);

// Raises this process's soft limit on open files to its hard limit (as Go's runtime does at
// start), then returns transfers_for_open_files of the soft limit.
std::size_t transfers_within_open_file_limit();

}  // namespace fetch
