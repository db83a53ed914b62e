#pragma once
// One machine's part of a run split over many: shard I of N takes the items whose stable hash
// modulo N is I. The launcher (mpirun, a Slurm job array, srun, a Kubernetes Indexed Job) says
// which part this process is through its environment; --shard auto reads it.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace common {

struct Shard {
  std::size_t index = 0;  // 0-based, below count
  std::size_t count = 1;
  bool operator==(const Shard&) const = default;
};

// A --shard value that cannot be used, or a launcher environment that says nothing usable.
struct ShardError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A variable of the environment, or nothing when it is not set.
using Environment = std::function<std::optional<std::string>(const std::string& name)>;
// This process's environment.
Environment process_environment();

// "I/N", 0 <= I < N.
Shard parse_shard(std::string_view text);

// The shard a launcher gives this process, looked up in this order: OMPI_COMM_WORLD_RANK/SIZE
// (mpirun), PMI_RANK/SIZE, SLURM_ARRAY_TASK_ID with SLURM_ARRAY_TASK_COUNT (a job array whose IDs
// start at SLURM_ARRAY_TASK_MIN and step by SLURM_ARRAY_TASK_STEP), SLURM_PROCID/SLURM_NTASKS
// (srun), JOB_COMPLETION_INDEX with `count` (a Kubernetes Indexed Job, whose size is not in its
// environment). A `count` given with another launcher must agree with it.
Shard shard_from_environment(const Environment& env, std::optional<std::size_t> count = std::nullopt);

// The value of --shard ("I/N" or "auto") with --shard-count (0: not given).
Shard resolve_shard(std::string_view value, std::size_t count, const Environment& env);

// A hash of the key's bytes that is the same on every machine and in every run (XXH3, 64 bits).
std::uint64_t stable_hash(std::string_view key);

// Whether the key is this shard's.
bool owns(const Shard& shard, std::string_view key);

// "shard-0002-of-0016" (at least four digits each, so that names sort by index).
std::string shard_tag(const Shard& shard);

// A per-run file name with the shard in it, before the last extension:
// ".conc-fetch.jsonl" -> ".conc-fetch.shard-0002-of-0016.jsonl"; "log" -> "log.shard-0002-of-0016".
// Only the last path component changes. Without a shard: the name itself.
std::string shard_file_name(const std::string& path, const std::optional<Shard>& shard);

// The shard a file name made by shard_file_name(stem + extension, shard) carries, if it is one.
std::optional<Shard> shard_of_file_name(std::string_view filename, std::string_view stem, std::string_view extension);

}  // namespace common
