// What the manifest vouches for, and the names it records: a record vouches for a path only while
// it is the last record of that path; names that are not UTF-8 stay apart and come back as they
// were; the output root's temporaries; --summary by URL; --max-size's range.

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "atomic_file.hpp"
#include "fetch_cli.hpp"
#include "fetch_server.hpp"
#include "store/summary.hpp"
#include "temp_dir.hpp"

namespace fs = std::filesystem;
using fetch_cli::manifest;
using fetch_cli::sha256_of;

namespace {

struct Server : test_support::FetchServer {
  Server() : FetchServer(CONC_FETCH_TEST_SERVER) {}
};

}  // namespace

TEST_CASE("a record vouches for a file only while no other URL was saved under its name since", "[fetch][records]") {
  Server s;
  TempDir dir;
  const std::string out = (dir / "out").string();
  // Two URLs whose files have one name and the same size.
  const std::string a = s.url("/file/a/x.bin?size=5000&seed=1");
  const std::string b = s.url("/file/b/x.bin?size=5000&seed=2");
  REQUIRE(fetch_cli::run(dir, a + "\n" + b + "\n", {"-o", out, "--no-progress"}).exit_code == 0);
  CHECK(sha256_of(dir / "out/x.bin") == s.digest(5000, 1));
  CHECK(sha256_of(dir / "out/x.1.bin") == s.digest(5000, 2));
  // b alone is named x.bin, over a's file.
  REQUIRE(fetch_cli::run(dir, b + "\n", {"-o", out, "--no-progress"}).exit_code == 0);
  CHECK(sha256_of(dir / "out/x.bin") == s.digest(5000, 2));

  const fetch_cli::Result again = fetch_cli::run(dir, a + "\n" + b + "\n", {"-o", out, "--no-progress"});
  INFO(again.err);
  CHECK(again.exit_code == 0);
  CHECK(again.err.find("1 downloaded, 1 skipped, 0 failed") != std::string::npos);
  CHECK(sha256_of(dir / "out/x.bin") == s.digest(5000, 1));  // a's record no longer vouched for x.bin
  CHECK(sha256_of(dir / "out/x.1.bin") == s.digest(5000, 2));
  CHECK(s.hits("/file/a/x.bin") == 2);
  CHECK(s.hits("/file/b/x.bin") == 2);
}

TEST_CASE("names from URLs whose bytes are not UTF-8 stay apart, and a re-run knows them", "[fetch][records]") {
  Server s;
  TempDir dir;
  const std::string out = (dir / "out").string();
  // ISO-8859-1's é and è, percent-encoded; a list line naming a file in ISO-8859-1 bytes itself.
  const std::string e9 = s.url("/file/caf%E9.jpg?size=1000&seed=1");
  const std::string e8 = s.url("/file/caf%E8.jpg?size=1000&seed=2");
  const std::string latin = s.url("/file/latin.bin?size=1000&seed=3");
  const std::string list = e9 + "\n" + e8 + "\n" + latin + "\n  out=na\xEFve.bin\n";
  const fetch_cli::Result first = fetch_cli::run(dir, list, {"-o", out, "--no-progress"});
  INFO(first.err);
  CHECK(first.exit_code == 0);
  CHECK(sha256_of(dir / "out/caf%E9.jpg") == s.digest(1000, 1));
  CHECK(sha256_of(dir / "out/caf%E8.jpg") == s.digest(1000, 2));
  CHECK(sha256_of(dir / "out/na\xEFve.bin") == s.digest(1000, 3));  // the list's own bytes
  // Valid JSON, and every name as it is (bytes that are not UTF-8 as \xHH, name_text.hpp).
  std::set<std::string> paths;
  for (const auto& line : manifest(dir / "out/.conc-fetch.jsonl")) paths.insert(line["path"].get<std::string>());
  CHECK(paths == std::set<std::string>{"caf%E9.jpg", "caf%E8.jpg", "na\\xEFve.bin"});

  const fetch_cli::Result again = fetch_cli::run(dir, list, {"-o", out, "--no-progress"});
  INFO(again.err);
  CHECK(again.exit_code == 0);
  CHECK(again.err.find("0 downloaded, 3 skipped, 0 failed") != std::string::npos);
}

TEST_CASE("a name the server gives in bytes that are not UTF-8 is kept apart and known on a re-run",
          "[fetch][records]") {
  Server s;
  TempDir dir;
  const std::string out = (dir / "out").string();
  const std::string url = s.url("/disposition/notutf8?size=100&seed=1");
  for (int run = 0; run < 3; ++run) {
    const fetch_cli::Result r = fetch_cli::run(dir, url + "\n", {"-o", out, "--no-progress", "--content-disposition"});
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.err.find(run == 0 ? "1 downloaded, 0 skipped" : "0 downloaded, 1 skipped") != std::string::npos);
  }
  std::set<std::string> files;
  for (const auto& e : fs::directory_iterator(dir / "out"))
    if (e.path().filename().string()[0] != '.') files.insert(e.path().filename().string());
  CHECK(files == std::set<std::string>{"caf%E9.txt"});  // one file, however many runs
  CHECK(s.hits("/disposition/notutf8") == 1);
}

TEST_CASE("a run removes what killed runs of its output root left half-written, and nothing else", "[fetch][records]") {
  Server s;
  TempDir dir;
  const std::string out = (dir / "out").string();
  const std::string list = s.url("/file/a.bin?size=100&seed=1") + "\n";
  REQUIRE(fetch_cli::run(dir, list, {"-o", out, "--no-progress"}).exit_code == 0);
  // The root's token, kept in the output folder from the first run on.
  const std::string token = test_support::slurp(dir / "out/.conc-fetch.token").substr(0, 8);
  const common::Temporaries ours(token);
  const fs::path left = ours.beside((dir / "out/a.bin").string());
  const fs::path foreign = common::Temporaries("zzzz0000").beside((dir / "out/a.bin").string());
  std::ofstream(left) << "what a killed run left";
  std::ofstream(foreign) << "another root's, or a user's";
  std::ofstream(dir / "out/notes.tar.tmp-abc123") << "a user's file";
  const fetch_cli::Result r = fetch_cli::run(dir, list, {"-o", out, "--no-progress"});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK_FALSE(fs::exists(left));
  CHECK(fs::exists(foreign));
  CHECK(fs::exists(dir / "out/notes.tar.tmp-abc123"));
  CHECK(test_support::slurp(dir / "out/.conc-fetch.token").substr(0, 8) == token);
}

TEST_CASE("conc-fetch --summary counts each URL once, by its latest outcome", "[fetch][records]") {
  TempDir dir;
  // u failed under its planned name, then succeeded under the name the server gave; v the other way.
  std::ofstream(dir / ".conc-fetch.jsonl")
      << R"({"url":"http://h/u","path":"u","status":"failed","bytes":0,"error":"HTTP 503"})"
      << "\n"
      << R"({"url":"http://h/u","path":"report.pdf","status":"ok","bytes":10})"
      << "\n"
      << R"({"url":"http://h/v","path":"v","status":"ok","bytes":20})"
      << "\n"
      << R"({"url":"http://h/v","path":"v","status":"failed","bytes":0,"error":"HTTP 404"})"
      << "\n"
      << R"({"url":"http://h/caf\\xE9","path":"caf%E9","status":"failed","bytes":0,"error":"HTTP 500"})"
      << "\n";
  std::ostringstream out;
  std::ostringstream err;
  CHECK(fetch::summarize(dir.path, "", out, err) == 1);
  CHECK(out.str() == "1 downloaded, 2 failed, 10 B in 1 manifest\n");
  CHECK(err.str() == "error: http://h/caf\\xE9: HTTP 500\nerror: http://h/v: HTTP 404\n");
}

TEST_CASE("conc-fetch --summary reads what older runs wrote without a schema, and passes over another schema's files",
          "[fetch][records]") {
  TempDir dir;
  // u by a conc-fetch that named no schema, v by this one, w by a later version this one cannot read.
  std::ofstream(dir / ".conc-fetch.jsonl")
      << R"({"url":"http://h/u","path":"00000.tar","status":"ok","bytes":10,"thumbnail":"000000001.jpg"})"
      << "\n"
      << R"({"schema":"conc-fetch-manifest/1","url":"http://h/v","path":"00000.tar","status":"ok","bytes":20,)"
      << R"("thumbnail":"000000002.jpg"})"
      << "\n"
      << R"({"schema":"conc-fetch-manifest/2","url":"http://h/w","path":"00000.tar","status":"ok","bytes":40,)"
      << R"("thumbnail":"000000003.jpg"})"
      << "\n";
  std::ofstream(dir / "stats.json") << R"({"count":1,"duration":3.5})"
                                    << "\n";
  std::ofstream(dir / "stats.shard-0000-of-0002.json") << R"({"schema":"conc-fetch-stats/1","duration":2})"
                                                       << "\n";
  std::ofstream(dir / "stats.shard-0001-of-0002.json") << R"({"schema":"conc-fetch-stats/2","duration":99})"
                                                       << "\n";
  std::ostringstream out;
  std::ostringstream err;
  CHECK(fetch::summarize(dir.path, "", out, err) == 0);
  CHECK(out.str() ==
        "2 downloaded, 0 failed, 30 B in 1 manifest\n"
        "count 2: 2 successes, 0 failed to download, 0 failed to resize, 0 opted out, 0 filtered; the longest run "
        "3.50 s\n");
  CHECK(err.str().empty());
}

TEST_CASE("conc-fetch --max-size takes 1 byte to 2^63 bytes, and nothing else", "[fetch][records]") {
  TempDir dir;
  for (const std::string bad : {"0.5", "0", "1e20", "9223372036854775809", "-1", "k"}) {
    INFO(bad);
    const fetch_cli::Result r = fetch_cli::run(dir, "", {"-o", (dir / "out").string(), "--max-size", bad});
    CHECK(r.exit_code == 2);
    CHECK(r.err == "conc-fetch: invalid --max-size '" + bad + "' (1 byte to 2^63 bytes, e.g. 512, 64k, 10M)\n");
  }
  for (const std::string good : {"1", "1.5k", "9223372036854775808"}) {
    INFO(good);
    CHECK(fetch_cli::run(dir, "", {"-o", (dir / "out").string(), "--max-size", good}).exit_code == 0);
  }
}
