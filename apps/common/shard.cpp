#include "shard.hpp"

#include <xxhash.h>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

namespace common {

namespace {

std::optional<std::size_t> to_number(std::string_view text) {
  std::size_t value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

// The value of a variable the launcher set; nothing when it is not set.
std::optional<std::size_t> number_from(const Environment& env, const std::string& name) {
  const auto text = env(name);
  if (!text) return std::nullopt;
  const auto value = to_number(*text);
  if (!value) throw ShardError(name + "=" + *text + " is not a whole number");
  return value;
}

std::size_t required_from(const Environment& env, const std::string& name, const std::string& because) {
  const auto value = number_from(env, name);
  if (!value) throw ShardError(because + " is set but " + name + " is not");
  return *value;
}

Shard checked(std::size_t index, std::size_t count, const std::string& source) {
  if (count == 0) throw ShardError(source + ": the number of shards is 0");
  if (index >= count) {
    throw ShardError(source + ": shard " + std::to_string(index) + " is not below the number of shards, " +
                     std::to_string(count));
  }
  return Shard{index, count};
}

Shard agreeing(const Shard& shard, std::optional<std::size_t> count, const std::string& source) {
  if (count && *count != shard.count) {
    throw ShardError("--shard-count " + std::to_string(*count) + " disagrees with " + source + ", which gives " +
                     std::to_string(shard.count) + " shards");
  }
  return shard;
}

}  // namespace

Environment process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

Shard parse_shard(std::string_view text) {
  const auto slash = text.find('/');
  const auto index = slash == std::string_view::npos ? std::nullopt : to_number(text.substr(0, slash));
  const auto count = slash == std::string_view::npos ? std::nullopt : to_number(text.substr(slash + 1));
  if (!index || !count) {
    throw ShardError("--shard " + std::string(text) + ": expected I/N (shard I of N, counted from 0) or auto");
  }
  return checked(*index, *count, "--shard " + std::string(text));
}

Shard shard_from_environment(const Environment& env, std::optional<std::size_t> count) {
  if (const auto rank = number_from(env, "OMPI_COMM_WORLD_RANK")) {
    const std::size_t size = required_from(env, "OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_RANK");
    return agreeing(checked(*rank, size, "OMPI_COMM_WORLD_RANK/SIZE"), count, "mpirun (OMPI_COMM_WORLD_SIZE)");
  }
  if (const auto rank = number_from(env, "PMI_RANK")) {
    const std::size_t size = required_from(env, "PMI_SIZE", "PMI_RANK");
    return agreeing(checked(*rank, size, "PMI_RANK/SIZE"), count, "PMI_SIZE");
  }
  if (const auto id = number_from(env, "SLURM_ARRAY_TASK_ID")) {
    const std::size_t tasks = required_from(env, "SLURM_ARRAY_TASK_COUNT", "SLURM_ARRAY_TASK_ID");
    const std::size_t min = number_from(env, "SLURM_ARRAY_TASK_MIN").value_or(0);
    const std::size_t step = number_from(env, "SLURM_ARRAY_TASK_STEP").value_or(1);
    const auto max = number_from(env, "SLURM_ARRAY_TASK_MAX");
    const std::string where = "the Slurm job array (SLURM_ARRAY_TASK_ID=" + std::to_string(*id) +
                              ", MIN=" + std::to_string(min) + ", STEP=" + std::to_string(step) +
                              ", COUNT=" + std::to_string(tasks) + ")";
    // Only an evenly spaced array (--array=A-B or A-B:S) numbers its tasks 0..COUNT-1 by (ID-MIN)/STEP.
    if (step == 0 || *id < min || (*id - min) % step != 0 || (max && (*max - min) / step + 1 != tasks)) {
      throw ShardError(where + ": not an evenly spaced array; submit it as --array=A-B or --array=A-B:STEP");
    }
    return agreeing(checked((*id - min) / step, tasks, where), count, "SLURM_ARRAY_TASK_COUNT");
  }
  if (const auto rank = number_from(env, "SLURM_PROCID")) {
    const std::size_t size = required_from(env, "SLURM_NTASKS", "SLURM_PROCID");
    return agreeing(checked(*rank, size, "SLURM_PROCID/SLURM_NTASKS"), count, "SLURM_NTASKS");
  }
  if (const auto index = number_from(env, "JOB_COMPLETION_INDEX")) {
    if (!count) {
      throw ShardError(
          "JOB_COMPLETION_INDEX (a Kubernetes Indexed Job) does not say how many shards there are: give "
          "--shard-count, the Job's completions");
    }
    return checked(*index, *count, "JOB_COMPLETION_INDEX");
  }
  throw ShardError(
      "--shard auto: no launcher found in the environment (none of OMPI_COMM_WORLD_RANK, PMI_RANK, "
      "SLURM_ARRAY_TASK_ID, SLURM_PROCID, JOB_COMPLETION_INDEX is set); give --shard I/N");
}

Shard resolve_shard(std::string_view value, std::size_t count, const Environment& env) {
  const std::optional<std::size_t> given = count == 0 ? std::nullopt : std::optional<std::size_t>(count);
  if (value == "auto") return shard_from_environment(env, given);
  const Shard shard = parse_shard(value);
  return agreeing(shard, given, "--shard " + std::string(value));
}

std::uint64_t stable_hash(std::string_view key) { return XXH3_64bits(key.data(), key.size()); }

bool owns(const Shard& shard, std::string_view key) { return stable_hash(key) % shard.count == shard.index; }

std::string shard_tag(const Shard& shard) {
  char tag[64];
  std::snprintf(tag, sizeof tag, "shard-%04zu-of-%04zu", shard.index, shard.count);
  return tag;
}

std::string shard_file_name(const std::string& path, const std::optional<Shard>& shard) {
  if (!shard) return path;
  const std::filesystem::path p(path);
  const std::string name = p.filename().string();
  const std::string extension = p.filename().extension().string();
  const std::string stem = name.substr(0, name.size() - extension.size());
  return (p.parent_path() / (stem + "." + shard_tag(*shard) + extension)).string();
}

std::optional<Shard> shard_of_file_name(std::string_view filename, std::string_view stem, std::string_view extension) {
  const std::string prefix = std::string(stem) + ".shard-";
  if (filename.size() < prefix.size() + extension.size() || filename.substr(0, prefix.size()) != prefix ||
      filename.substr(filename.size() - extension.size()) != extension) {
    return std::nullopt;
  }
  const std::string_view middle =
      filename.substr(prefix.size(), filename.size() - prefix.size() - extension.size());  // "0002-of-0016"
  const auto of = middle.find("-of-");
  if (of == std::string_view::npos) return std::nullopt;
  const auto index = to_number(middle.substr(0, of));
  const auto count = to_number(middle.substr(of + 4));
  if (!index || !count || *index >= *count) return std::nullopt;
  return Shard{*index, *count};
}

}  // namespace common
