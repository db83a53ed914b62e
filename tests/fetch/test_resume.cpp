// A resume continues only the same remote file: the part's validators (ETag, Last-Modified, total
// length) are kept beside it, sent as If-Range and checked against the answer. Against the test
// server's /v/ route, whose file changes on demand, and servers that answer a resume badly.

#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

#include "fetch_cli.hpp"
#include "fetch_server.hpp"
#include "temp_dir.hpp"

namespace fs = std::filesystem;
using fetch_cli::manifest;
using fetch_cli::sha256_of;

namespace {

constexpr int kSize = 4 << 20;   // the case: 4 MiB,
constexpr int kCut = 512 << 10;  // cut at 512 KiB

struct Server : test_support::FetchServer {
  Server() : FetchServer(CONC_FETCH_TEST_SERVER) {}
};

// Runs conc-fetch on url with --retries 0, so that the cut transfer ends the run with its part kept.
fetch_cli::Result cut_run(const TempDir& dir, const std::string& url, const std::string& engine) {
  const fetch_cli::Result r = fetch_cli::run(
      dir, url + "\n", {"-o", (dir / "out").string(), "--no-progress", "--retries", "0", "--engine", engine});
  INFO(r.err);
  CHECK(r.exit_code == 1);
  return r;
}

std::uintmax_t part_size(const TempDir& dir, const std::string& name) {
  std::error_code ec;
  const auto n = fs::file_size(dir / "out" / (name + ".part"), ec);
  return ec ? 0 : n;
}

}  // namespace

TEST_CASE("a part of a file that changed on the server is not continued: the new file is downloaded whole",
          "[fetch][resume]") {
  const std::string engine = GENERATE(as<std::string>(), "threads", "multi");
  // A server that honours If-Range answers with the whole new file; one that ignores it sends the
  // new file's tail with its new ETag, which is refused.
  const std::string server_kind = GENERATE(as<std::string>(), "honours If-Range", "ignores If-Range");
  INFO("engine " << engine << ", a server that " << server_kind);
  Server s;
  TempDir dir;
  const std::string query = "?size=" + std::to_string(kSize) + "&seed=1&cut=" + std::to_string(kCut) +
                            (server_kind == "ignores If-Range" ? "&ifrange=ignore" : "");
  const std::string url = s.url("/v/k/f.bin" + query);
  cut_run(dir, url, engine);
  const auto partial = part_size(dir, "f.bin");
  REQUIRE(partial > 0);
  REQUIRE(partial <= static_cast<std::uintmax_t>(kCut));
  s.get("/bump/k");  // the file changes: version 1, a new ETag and Last-Modified

  const fetch_cli::Result r =
      fetch_cli::run(dir, url + "\n", {"-o", (dir / "out").string(), "--no-progress", "--engine", engine});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(sha256_of(dir / "out/f.bin") == s.digest(kSize, 1001));  // version 1, whole: no splice
  CHECK_FALSE(fs::exists(dir / "out/f.bin.part"));
  CHECK_FALSE(fs::exists(dir / "out/f.bin.part.json"));
  const auto requests = s.requests("/v/k/f.bin");
  REQUIRE(requests.size() >= 2);
  // The resume asked for the rest of the same file only.
  CHECK(requests[1]["range"] == "bytes=" + std::to_string(partial) + "-");
  CHECK(requests[1]["if_range"] == "\"k-0\"");
  if (server_kind == "ignores If-Range") {
    REQUIRE(requests.size() == 3);  // the tail of version 1 refused, then the whole of it
    CHECK(requests[2]["range"].is_null());
  } else {
    CHECK(requests.size() == 2);
  }
  const auto lines = manifest(dir / "out/.conc-fetch.jsonl");
  REQUIRE(lines.size() == 2);
  CHECK(lines[1]["status"] == "ok");
  CHECK(lines[1]["sha256"] == s.digest(kSize, 1001));
  CHECK(lines[1]["bytes"] == kSize);
  CHECK_FALSE(lines[1].contains("resumed_from"));
}

TEST_CASE("a 200 to a resume, with or without a body, starts the file again from zero", "[fetch][resume]") {
  const std::string engine = GENERATE(as<std::string>(), "threads", "multi");
  const std::string answer = GENERATE(as<std::string>(), "empty", "whole");
  INFO("engine " << engine << ", a 200 with " << (answer == "empty" ? "no body" : "the whole file"));
  Server s;
  TempDir dir;
  // "empty": every Range is answered 200 with no body; "whole": the file changed, If-Range sees it.
  const std::string url = s.url("/v/e/f.bin?size=" + std::to_string(kSize) + "&seed=2&cut=" + std::to_string(kCut) +
                                (answer == "empty" ? "&range200=empty" : ""));
  cut_run(dir, url, engine);
  const auto partial = part_size(dir, "f.bin");
  REQUIRE(partial > 0);
  if (answer == "whole") s.get("/bump/e");
  const int version = answer == "whole" ? 1 : 0;

  const fetch_cli::Result r =
      fetch_cli::run(dir, url + "\n", {"-o", (dir / "out").string(), "--no-progress", "--engine", engine});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(sha256_of(dir / "out/f.bin") == s.digest(kSize, 2 + 1000 * version));
  const auto requests = s.requests("/v/e/f.bin");
  REQUIRE(requests.size() == (answer == "empty" ? 3u : 2u));
  CHECK(requests[1]["range"] == "bytes=" + std::to_string(partial) + "-");
  if (answer == "empty") CHECK(requests[2]["range"].is_null());
  const auto lines = manifest(dir / "out/.conc-fetch.jsonl");
  REQUIRE(lines.size() == 2);
  CHECK(lines[1]["bytes"] == kSize);
  CHECK(lines[1]["sha256"] == s.digest(kSize, 2 + 1000 * version));
}

TEST_CASE("a resume sends If-Range with the part's ETag, else its Last-Modified, and says what vouched for it",
          "[fetch][resume]") {
  const std::string engine = GENERATE(as<std::string>(), "threads", "multi");
  const std::string validator = GENERATE(as<std::string>(), "ETag", "Last-Modified", "length");
  INFO("engine " << engine << ", validator " << validator);
  Server s;
  TempDir dir;
  const std::string only = validator == "ETag"            ? "&lastmod=0"
                           : validator == "Last-Modified" ? "&etag=0"
                                                          : "&etag=0&lastmod=0";
  const std::string url =
      s.url("/v/same/f.bin?size=" + std::to_string(kSize) + "&seed=3&cut=" + std::to_string(kCut) + only);
  cut_run(dir, url, engine);
  const auto partial = part_size(dir, "f.bin");
  REQUIRE(partial > 0);

  const fetch_cli::Result r =
      fetch_cli::run(dir, url + "\n", {"-o", (dir / "out").string(), "--no-progress", "--engine", engine});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(sha256_of(dir / "out/f.bin") == s.digest(kSize, 3));
  const auto requests = s.requests("/v/same/f.bin");
  REQUIRE(requests.size() == 2);
  CHECK(requests[1]["range"] == "bytes=" + std::to_string(partial) + "-");
  if (validator == "ETag") CHECK(requests[1]["if_range"] == "\"same-0\"");
  if (validator == "Last-Modified") CHECK(requests[1]["if_range"] == "Tue, 14 Nov 2023 22:13:20 GMT");
  if (validator == "length") CHECK(requests[1]["if_range"].is_null());
  const auto lines = manifest(dir / "out/.conc-fetch.jsonl");
  REQUIRE(lines.size() == 2);
  CHECK(lines[1]["status"] == "ok");
  CHECK(lines[1]["resumed_from"] == partial);
  CHECK(lines[1]["resume_check"] == validator);
}

TEST_CASE("without validators a part is continued only while the file's length is the same", "[fetch][resume]") {
  const std::string engine = GENERATE(as<std::string>(), "threads", "multi");
  INFO("engine " << engine);
  Server s;
  TempDir dir;
  // Each version is 1,000 bytes longer; no ETag, no Last-Modified.
  const std::string url = s.url("/v/g/f.bin?size=" + std::to_string(kSize) +
                                "&seed=4&grow=1000&etag=0&lastmod=0&cut=" + std::to_string(kCut));
  cut_run(dir, url, engine);
  const auto partial = part_size(dir, "f.bin");
  REQUIRE(partial > 0);
  s.get("/bump/g");

  const fetch_cli::Result r =
      fetch_cli::run(dir, url + "\n", {"-o", (dir / "out").string(), "--no-progress", "-v", "--engine", engine});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(sha256_of(dir / "out/f.bin") == s.digest(kSize + 1000, 1004));
  const auto requests = s.requests("/v/g/f.bin");
  REQUIRE(requests.size() == 3);  // the resume, its answer refused (another length), the whole file
  CHECK(requests[1]["range"] == "bytes=" + std::to_string(partial) + "-");
  CHECK(requests[1]["if_range"].is_null());
  CHECK(requests[2]["range"].is_null());
  CHECK(r.err.find("the file changed on the server since byte " + std::to_string(partial) +
                   " was saved (its length is now " + std::to_string(kSize + 1000) + " bytes, was " +
                   std::to_string(kSize) + " bytes)") != std::string::npos);
}

TEST_CASE("a part without validators beside it, or from another URL, is started again from zero", "[fetch][resume]") {
  const std::string engine = GENERATE(as<std::string>(), "threads", "multi");
  INFO("engine " << engine);
  Server s;
  TempDir dir;
  const std::string bare = s.url("/v/bare/bare.bin?size=100000&seed=5");
  const std::string other = s.url("/v/other/other.bin?size=100000&seed=6");
  fs::create_directories(dir / "out");
  std::ofstream(dir / "out/bare.bin.part", std::ios::binary) << std::string(5000, 'x');  // no validators
  // Validators that vouch for these bytes as another URL's.
  fetch_cli::plant_part(dir / "out/other.bin.part", std::string(5000, 'y'), s.url("/v/other/elsewhere.bin"),
                        {{"etag", "\"other-0\""}, {"length", 100000}});
  const fetch_cli::Result r = fetch_cli::run(dir, bare + "\n" + other + "\n",
                                             {"-o", (dir / "out").string(), "--no-progress", "--engine", engine});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(sha256_of(dir / "out/bare.bin") == s.digest(100000, 5));
  CHECK(sha256_of(dir / "out/other.bin") == s.digest(100000, 6));
  for (const char* path : {"/v/bare/bare.bin", "/v/other/other.bin"}) {
    INFO(path);
    const auto requests = s.requests(path);
    REQUIRE(requests.size() == 1);
    CHECK(requests[0]["range"].is_null());
  }
  CHECK_FALSE(fs::exists(dir / "out/other.bin.part.json"));
}

TEST_CASE("a name of 255 bytes is cut so that its part and validators fit, and is resumed", "[fetch][resume]") {
  Server s;
  TempDir dir;
  const std::string long_name = std::string(251, 'n') + ".bin";
  const std::string url =
      s.url("/v/long/" + long_name + "?size=" + std::to_string(kSize) + "&seed=7&cut=" + std::to_string(kCut));
  cut_run(dir, url, "threads");
  const std::string name = std::string(196, 'n') + ".bin";  // 200 bytes
  const auto partial = part_size(dir, name);
  REQUIRE(partial > 0);
  CHECK(fs::exists(dir / "out" / (name + ".part.json")));
  const fetch_cli::Result r = fetch_cli::run(dir, url + "\n", {"-o", (dir / "out").string(), "--no-progress"});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(sha256_of(dir / "out" / name) == s.digest(kSize, 7));
  const auto requests = s.requests("/v/long/");
  REQUIRE(requests.size() == 2);
  CHECK(requests[1]["range"] == "bytes=" + std::to_string(partial) + "-");
}
