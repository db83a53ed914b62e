#include <catch2/catch.hpp>

#include <map>
#include <string>

#include "shard.hpp"

using common::Shard;
using common::ShardError;

namespace {

// A launcher's environment as a test writes it.
common::Environment env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    const auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const ShardError& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("shard: --shard I/N: counted from 0, I below N", "[shard]") {
  CHECK(common::parse_shard("0/1") == Shard{0, 1});
  CHECK(common::parse_shard("2/3") == Shard{2, 3});
  CHECK(common::parse_shard("15/16") == Shard{15, 16});
  CHECK_THAT(message_of([] { (void)common::parse_shard("3/3"); }), Catch::Contains("not below the number of shards"));
  CHECK_THAT(message_of([] { (void)common::parse_shard("0/0"); }), Catch::Contains("the number of shards is 0"));
  for (const char* bad : {"", "1", "1/", "/3", "a/3", "1/b", "-1/3", "1/3/5", " 1/3", "1.0/3"}) {
    INFO(bad);
    CHECK_THAT(message_of([&] { (void)common::parse_shard(bad); }), Catch::Contains("expected I/N"));
  }
}

TEST_CASE("shard: --shard auto: mpirun, PMI, a Slurm array, srun, a Kubernetes Indexed Job", "[shard]") {
  CHECK(common::shard_from_environment(env_of({{"OMPI_COMM_WORLD_RANK", "2"}, {"OMPI_COMM_WORLD_SIZE", "3"}})) ==
        Shard{2, 3});
  CHECK(common::shard_from_environment(env_of({{"PMI_RANK", "1"}, {"PMI_SIZE", "4"}})) == Shard{1, 4});
  CHECK(common::shard_from_environment(env_of({{"SLURM_PROCID", "0"}, {"SLURM_NTASKS", "2"}})) == Shard{0, 2});
  CHECK(common::shard_from_environment(env_of({{"JOB_COMPLETION_INDEX", "7"}}), 8) == Shard{7, 8});
  // The order: mpirun's variables win over Slurm's (mpirun inside an allocation).
  CHECK(common::shard_from_environment(env_of({{"OMPI_COMM_WORLD_RANK", "1"},
                                               {"OMPI_COMM_WORLD_SIZE", "2"},
                                               {"SLURM_PROCID", "0"},
                                               {"SLURM_NTASKS", "1"}})) == Shard{1, 2});
  // An array task's batch step also has SLURM_PROCID=0; the array decides.
  CHECK(common::shard_from_environment(env_of({{"SLURM_ARRAY_TASK_ID", "2"},
                                               {"SLURM_ARRAY_TASK_COUNT", "3"},
                                               {"SLURM_ARRAY_TASK_MIN", "0"},
                                               {"SLURM_ARRAY_TASK_MAX", "2"},
                                               {"SLURM_ARRAY_TASK_STEP", "1"},
                                               {"SLURM_PROCID", "0"}})) == Shard{2, 3});
}

TEST_CASE("shard: --shard auto: a Slurm array that starts anywhere and steps", "[shard]") {
  auto array = [](int id, int min, int max, int step, int count) {
    return env_of({{"SLURM_ARRAY_TASK_ID", std::to_string(id)},
                   {"SLURM_ARRAY_TASK_MIN", std::to_string(min)},
                   {"SLURM_ARRAY_TASK_MAX", std::to_string(max)},
                   {"SLURM_ARRAY_TASK_STEP", std::to_string(step)},
                   {"SLURM_ARRAY_TASK_COUNT", std::to_string(count)}});
  };
  // --array=5-8: IDs 5..8 are shards 0..3.
  for (int id = 5; id <= 8; ++id)
    CHECK(common::shard_from_environment(array(id, 5, 8, 1, 4)) == Shard{std::size_t(id - 5), 4});
  // --array=10-20:5: IDs 10, 15, 20 are shards 0, 1, 2.
  CHECK(common::shard_from_environment(array(10, 10, 20, 5, 3)) == Shard{0, 3});
  CHECK(common::shard_from_environment(array(15, 10, 20, 5, 3)) == Shard{1, 3});
  CHECK(common::shard_from_environment(array(20, 10, 20, 5, 3)) == Shard{2, 3});
  // --array=1,2,7: not evenly spaced, no way to number the tasks 0..2 alike in every task.
  CHECK_THAT(message_of([&] { (void)common::shard_from_environment(array(7, 1, 7, 1, 3)); }),
             Catch::Contains("not an evenly spaced array"));
  // Without MIN and STEP (older Slurm): IDs from 0 in steps of 1.
  CHECK(common::shard_from_environment(env_of({{"SLURM_ARRAY_TASK_ID", "1"}, {"SLURM_ARRAY_TASK_COUNT", "2"}})) ==
        Shard{1, 2});
}

TEST_CASE("shard: --shard auto: a clear error when nothing usable is set", "[shard]") {
  CHECK_THAT(message_of([] { (void)common::shard_from_environment(env_of({})); }),
             Catch::Contains("no launcher found") && Catch::Contains("--shard I/N"));
  CHECK_THAT(message_of([] {
               (void)common::shard_from_environment(env_of({{"JOB_COMPLETION_INDEX", "1"}}));
             }),
             Catch::Contains("--shard-count"));
  CHECK_THAT(message_of([] {
               (void)common::shard_from_environment(env_of({{"OMPI_COMM_WORLD_RANK", "1"}}));
             }),
             Catch::Contains("OMPI_COMM_WORLD_SIZE is not"));
  CHECK_THAT(message_of([] {
               (void)common::shard_from_environment(env_of({{"PMI_RANK", "x"}, {"PMI_SIZE", "2"}}));
             }),
             Catch::Contains("PMI_RANK=x is not a whole number"));
  CHECK_THAT(message_of([] {
               (void)common::shard_from_environment(env_of({{"SLURM_PROCID", "2"}, {"SLURM_NTASKS", "2"}}));
             }),
             Catch::Contains("not below the number of shards"));
  CHECK_THAT(message_of([] {
               (void)common::shard_from_environment(env_of({{"JOB_COMPLETION_INDEX", "4"}}), 4);
             }),
             Catch::Contains("not below"));
}

TEST_CASE("shard: --shard-count must agree with the launcher and with I/N", "[shard]") {
  const auto mpi = env_of({{"OMPI_COMM_WORLD_RANK", "0"}, {"OMPI_COMM_WORLD_SIZE", "3"}});
  CHECK(common::resolve_shard("auto", 3, mpi) == Shard{0, 3});
  CHECK(common::resolve_shard("auto", 0, mpi) == Shard{0, 3});
  CHECK_THAT(message_of([&] { (void)common::resolve_shard("auto", 4, mpi); }), Catch::Contains("disagrees"));
  CHECK(common::resolve_shard("1/2", 0, env_of({})) == Shard{1, 2});
  CHECK(common::resolve_shard("1/2", 2, env_of({})) == Shard{1, 2});
  CHECK_THAT(message_of([] { (void)common::resolve_shard("1/2", 5, env_of({})); }), Catch::Contains("disagrees"));
}

TEST_CASE("the partition: XXH3, every key in exactly one shard, near even", "[shard]") {
  // XXH3_64bits' published value for no input: the hash is the same on every machine and version.
  CHECK(common::stable_hash("") == 0x2D06800538D394C2ULL);
  CHECK(common::stable_hash("http://example.com/a.jpg") ==
        common::stable_hash(std::string("http://example.com/a.jpg")));
  CHECK(common::stable_hash("a") != common::stable_hash("b"));
  const std::size_t n = 3;
  std::size_t per_shard[3] = {};
  for (int k = 0; k < 30000; ++k) {
    const std::string key = "http://host" + std::to_string(k % 17) + ".example/file" + std::to_string(k) + ".jpg";
    std::size_t owners = 0;
    for (std::size_t i = 0; i < n; ++i) {
      if (common::owns(Shard{i, n}, key)) {
        ++owners;
        ++per_shard[i];
      }
    }
    REQUIRE(owners == 1);
  }
  for (std::size_t count : per_shard) {
    CHECK(count > 9000);
    CHECK(count < 11000);
  }
  // One shard of one owns everything.
  CHECK(common::owns(Shard{0, 1}, "anything"));
}

TEST_CASE("per-shard file names carry the shard before the extension", "[shard]") {
  const Shard s{2, 16};
  CHECK(common::shard_tag(s) == "shard-0002-of-0016");
  CHECK(common::shard_tag(Shard{12345, 20000}) == "shard-12345-of-20000");
  CHECK(common::shard_file_name(".conc-fetch.jsonl", s) == ".conc-fetch.shard-0002-of-0016.jsonl");
  CHECK(common::shard_file_name("/out/.conc-thumbs.json", s) == "/out/.conc-thumbs.shard-0002-of-0016.json");
  CHECK(common::shard_file_name("logs.d/report.json", s) == "logs.d/report.shard-0002-of-0016.json");
  CHECK(common::shard_file_name("manifest", s) == "manifest.shard-0002-of-0016");
  CHECK(common::shard_file_name(".conc-fetch.jsonl", std::nullopt) == ".conc-fetch.jsonl");
  CHECK(common::shard_of_file_name(".conc-fetch.shard-0002-of-0016.jsonl", ".conc-fetch", ".jsonl") == s);
  CHECK(common::shard_of_file_name(".conc-fetch.jsonl", ".conc-fetch", ".jsonl") == std::nullopt);
  CHECK(common::shard_of_file_name(".conc-fetch.shard-0002-of-0016.lock", ".conc-fetch", ".jsonl") == std::nullopt);
  CHECK(common::shard_of_file_name(".conc-fetch.shard-0016-of-0016.jsonl", ".conc-fetch", ".jsonl") == std::nullopt);
  CHECK(common::shard_of_file_name(".conc-fetch.shard-x-of-0016.jsonl", ".conc-fetch", ".jsonl") == std::nullopt);
}
