// WebDataset tar shards: numbering, completion, resume, cleanup, errors, and Python's tarfile reads them.

#include "thumbnail/webdataset.hpp"

#include <signal.h>
#include <sys/resource.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "atomic_file.hpp"
#include "subprocess.hpp"
#include "temp_dir.hpp"

namespace fs = std::filesystem;
using fetch::WebDatasetSample;
using fetch::WebDatasetWriter;

namespace {

// The temporaries of the output root these tests write in.
const common::Temporaries kOurs("ours1234");

std::string key_for(int i) {
  std::string key = std::to_string(i);
  return std::string(9 - key.size(), '0') + key;
}

// Binary bodies of varied sizes (empty, under and over a tar block, over a tar record).
WebDatasetSample sample_for(int i) {
  static const std::size_t sizes[] = {0, 1, 511, 512, 513, 3000, 10240, 25000};
  std::mt19937 rng(static_cast<unsigned>(i));
  std::string image(sizes[i % 8] + static_cast<std::size_t>(i), '\0');
  for (auto& c : image) c = static_cast<char>(rng());
  const std::string key = key_for(i);
  const std::string json = R"({"key": ")" + key + R"(", "url": "http://127.0.0.1/)" + std::to_string(i) +
                           R"(.jpg", "width": )" + std::to_string(64 + i) + "}";
  return {key, "jpg", image, json};
}

void write_file(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
}

std::vector<std::string> names_in(const fs::path& dir) {
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.insert(e.path().filename().string());
  return {names.begin(), names.end()};
}

struct Completed {
  std::vector<fs::path> tars;
  std::vector<std::vector<std::string>> keys;
};

// Runs check_webdataset.py over the tars; its output lists each tar's keys.
std::string python_check(const fs::path& expected, const std::vector<fs::path>& tars, const TempDir& scratch) {
  std::vector<std::string> argv = {"/usr/bin/python3", CONC_WEBDATASET_CHECK, expected.string()};
  for (const auto& t : tars) argv.push_back(t.string());
  const pid_t pid = test_support::spawn(argv, scratch / "check.out", scratch / "check.err");
  const int rc = test_support::wait_exit(pid);
  INFO(test_support::slurp(scratch / "check.err"));
  CHECK(rc == 0);
  return test_support::slurp(scratch / "check.out");
}

}  // namespace

TEST_CASE("25 samples at 10 a tar make 00000.tar, 00001.tar and, on finish, 00002.tar", "[fetch][webdataset]") {
  TempDir dir;
  const fs::path out = dir / "shards";
  const fs::path expected = dir / "expected";
  fs::create_directories(expected);
  Completed done;
  {
    WebDatasetWriter writer(out, 10, kOurs);
    writer.on_tar_complete = [&](const fs::path& tar, const std::vector<std::string>& keys) {
      CHECK(fs::exists(tar));
      done.tars.push_back(tar);
      done.keys.push_back(keys);
    };
    for (int i = 0; i < 25; ++i) {
      const WebDatasetSample s = sample_for(i);
      write_file(expected / (s.key + ".jpg"), s.image);
      write_file(expected / (s.key + ".json"), s.json);
      writer.add(s);
      // A tar completes with its last sample, not later.
      CHECK(done.tars.size() == static_cast<std::size_t>((i + 1) / 10));
    }
    CHECK(names_in(out).size() == 3);             // two complete tars and the third under its temporary name
    CHECK(kOurs.is_ours(names_in(out).front()));  // hidden: a dot sorts it first
    writer.finish();
  }
  REQUIRE(done.tars.size() == 3);
  CHECK(done.tars[0] == out / "00000.tar");
  CHECK(done.tars[1] == out / "00001.tar");
  CHECK(done.tars[2] == out / "00002.tar");
  for (std::size_t t = 0; t < 3; ++t) {
    std::vector<std::string> want;
    for (int i = static_cast<int>(t) * 10; i < std::min(25, static_cast<int>(t + 1) * 10); ++i)
      want.push_back(key_for(i));
    CHECK(done.keys[t] == want);
  }
  CHECK(names_in(out) == std::vector<std::string>{"00000.tar", "00001.tar", "00002.tar"});

  std::string listing;
  for (std::size_t t = 0; t < 3; ++t) {
    listing += done.tars[t].filename().string();
    for (const auto& k : done.keys[t]) listing += " " + k;
    listing += "\n";
  }
  CHECK(python_check(expected, done.tars, dir) == listing);
}

TEST_CASE("the Python check rejects a tar whose contents differ", "[fetch][webdataset]") {
  TempDir dir;
  const fs::path expected = dir / "expected";
  fs::create_directories(expected);
  WebDatasetWriter writer(dir / "shards", 10, kOurs);
  for (int i = 0; i < 3; ++i) {
    const WebDatasetSample s = sample_for(i);
    write_file(expected / (s.key + ".jpg"), s.image);
    write_file(expected / (s.key + ".json"), s.json);
    writer.add(s);
  }
  WebDatasetSample wrong = sample_for(3);
  write_file(expected / (wrong.key + ".jpg"), wrong.image + "x");
  write_file(expected / (wrong.key + ".json"), wrong.json);
  writer.add(wrong);
  writer.finish();
  const pid_t pid = test_support::spawn(
      {"/usr/bin/python3", CONC_WEBDATASET_CHECK, expected.string(), (dir / "shards/00000.tar").string()},
      dir / "check.out", dir / "check.err");
  CHECK(test_support::wait_exit(pid) == 1);
  CHECK(test_support::slurp(dir / "check.err").find("000000003.jpg differs") != std::string::npos);
}

TEST_CASE("a writer destroyed without finish() leaves no unfinished tar", "[fetch][webdataset]") {
  TempDir dir;
  const fs::path out = dir / "shards";
  int completed = 0;
  {
    WebDatasetWriter writer(out, 3, kOurs);
    writer.on_tar_complete = [&](const fs::path&, const std::vector<std::string>&) { ++completed; };
    for (int i = 0; i < 5; ++i) writer.add(sample_for(i));
    const auto names = names_in(out);
    REQUIRE(names.size() == 2);
    CHECK(kOurs.is_ours(names[0]));  // 00001.tar's, hidden: a dot sorts it first
    CHECK(names[1] == "00000.tar");
  }
  CHECK(completed == 1);
  CHECK(names_in(out) == std::vector<std::string>{"00000.tar"});

  TempDir empty;
  {
    WebDatasetWriter writer(empty / "shards", 10, kOurs);
    writer.add(sample_for(0));
  }
  CHECK(names_in(empty / "shards").empty());
}

TEST_CASE("a second writer in the same folder starts at the next index and clears a killed run's temp",
          "[fetch][webdataset]") {
  TempDir dir;
  const fs::path out = dir / "shards";
  {
    WebDatasetWriter writer(out, 10, kOurs);
    for (int i = 0; i < 25; ++i) writer.add(sample_for(i));
    writer.finish();
  }
  const fs::path killed = kOurs.beside((out / "00003.tar").string());
  write_file(killed, "half a tar");  // what a kill leaves
  write_file(out / "notes.txt", "kept");
  // Whatever their names say, files that are not provably this root's temporaries stay.
  write_file(out / "notes.tar.tmp-abc123", "not a shard's temp: kept");
  write_file(out / "00004.tar.tmp-abc123", "an older or foreign temporary: kept");
  const std::string foreign = fs::path(common::Temporaries("other123").beside((out / "00003.tar").string())).filename();
  write_file(out / foreign, "another root's: kept");
  std::vector<fs::path> tars;
  {
    WebDatasetWriter writer(out, 10, kOurs);
    CHECK_FALSE(fs::exists(killed));
    writer.on_tar_complete = [&](const fs::path& tar, const std::vector<std::string>&) { tars.push_back(tar); };
    writer.add(sample_for(30));
    writer.finish();
    writer.finish();  // nothing more to complete
  }
  CHECK(tars == std::vector<fs::path>{out / "00003.tar"});
  CHECK(names_in(out) == std::vector<std::string>{foreign, "00000.tar", "00001.tar", "00002.tar", "00003.tar",
                                                  "00004.tar.tmp-abc123", "notes.tar.tmp-abc123", "notes.txt"});

  // Numbering follows the highest complete tar.
  TempDir gap;
  fs::create_directories(gap / "shards");
  write_file(gap / "shards/00007.tar", "");
  WebDatasetWriter writer(gap / "shards", 1, kOurs);
  std::vector<fs::path> after_gap;
  writer.on_tar_complete = [&](const fs::path& tar, const std::vector<std::string>&) { after_gap.push_back(tar); };
  writer.add(sample_for(1));
  CHECK(after_gap == std::vector<fs::path>{gap / "shards/00008.tar"});
}

TEST_CASE("keys and extensions must be plain names", "[fetch][webdataset]") {
  TempDir dir;
  WebDatasetWriter writer(dir / "shards", 2, kOurs);
  for (const std::string& key : std::vector<std::string>{"a/b", "a.b", "", "..", "a\nb"}) {
    WebDatasetSample s = sample_for(0);
    s.key = key;
    CHECK_THROWS_AS(writer.add(s), std::invalid_argument);
  }
  for (const std::string& ext : std::vector<std::string>{"", ".jpg", "a/jpg"}) {
    WebDatasetSample s = sample_for(0);
    s.image_extension = ext;
    CHECK_THROWS_AS(writer.add(s), std::invalid_argument);
  }
  CHECK_THROWS_AS(WebDatasetWriter(dir / "other", 0, kOurs), std::invalid_argument);
  writer.add(sample_for(0));
  writer.add(sample_for(1));
  CHECK(names_in(dir / "shards") == std::vector<std::string>{"00000.tar"});
}

TEST_CASE("write errors name the tar and the reason, and leave no temporary file", "[fetch][webdataset]") {
  TempDir dir;
  write_file(dir / "blocker", "a file, not a folder");
  try {
    WebDatasetWriter writer(dir / "blocker/shards", 10, kOurs);
    FAIL("no error");
  } catch (const std::runtime_error& e) {
    CHECK(std::string(e.what()).find("blocker") != std::string::npos);
  }

  {
    const fs::path out = dir / "gone";
    WebDatasetWriter writer(out, 10, kOurs);
    fs::remove(out);
    try {
      writer.add(sample_for(0));
      FAIL("no error");
    } catch (const std::runtime_error& e) {
      CHECK(std::string(e.what()) == "cannot write " + (out / "00000.tar").string() + ": No such file or directory");
    }
  }

  // A full disk, as a file size limit: writes past it fail with EFBIG.
  const fs::path out = dir / "full";
  WebDatasetWriter writer(out, 100, kOurs);
  rlimit old{};
  REQUIRE(::getrlimit(RLIMIT_FSIZE, &old) == 0);
  const auto old_handler = ::signal(SIGXFSZ, SIG_IGN);
  rlimit small = old;
  small.rlim_cur = 64 * 1024;
  REQUIRE(::setrlimit(RLIMIT_FSIZE, &small) == 0);
  std::string error;
  int added = 0;
  try {
    for (; added < 100; ++added) writer.add(sample_for(7));  // 25 KiB each
  } catch (const std::runtime_error& e) {
    error = e.what();
  }
  ::setrlimit(RLIMIT_FSIZE, &old);
  ::signal(SIGXFSZ, old_handler);
  CHECK(added < 5);
  CHECK(error == "cannot write " + (out / "00000.tar").string() + ": File too large");
  CHECK(names_in(out).empty());

  // The writer goes on with a new tar of the same number; the lost samples were never reported.
  std::vector<std::vector<std::string>> keys;
  writer.on_tar_complete = [&](const fs::path&, const std::vector<std::string>& k) { keys.push_back(k); };
  writer.add(sample_for(1));
  writer.finish();
  CHECK(keys == std::vector<std::vector<std::string>>{{key_for(1)}});
  CHECK(names_in(out) == std::vector<std::string>{"00000.tar"});
}
