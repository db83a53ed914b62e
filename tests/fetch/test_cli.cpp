// End-to-end: the conc-fetch program against the project's test server on 127.0.0.1.

#include <catch2/catch.hpp>

#include <curl/curl.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "fetch_cli.hpp"
#include "fetch_server.hpp"
#include "subprocess.hpp"
#include "temp_dir.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

using fetch_cli::plant_part;
using test_support::slurp;
using test_support::spawn;
using test_support::wait_exit;

// The test server, started on a free port of 127.0.0.1 and stopped by PID, whatever happens.
struct Server : test_support::FetchServer {
  Server() : FetchServer(CONC_FETCH_TEST_SERVER) {}
};

std::string sha256_of_bytes(const std::string& data) {
  unsigned char d[EVP_MAX_MD_SIZE];
  unsigned n = 0;
  EVP_Digest(data.data(), data.size(), d, &n, EVP_sha256(), nullptr);
  std::string hex;
  char buf[3];
  for (unsigned i = 0; i < n; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", d[i]);
    hex += buf;
  }
  return hex;
}

std::string sha256_of(const fs::path& p) { return sha256_of_bytes(slurp(p)); }

struct Result {
  int exit_code;
  std::string out;
  std::string err;
};

Result run_fetch(const TempDir& dir, const std::string& list, std::vector<std::string> args) {
  std::ofstream(dir / "list.txt") << list;
  std::vector<std::string> argv = {CONC_FETCH_EXE};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back((dir / "list.txt").string());
  const pid_t pid = spawn(argv, dir / "stdout.txt", dir / "stderr.txt");
  Result r{wait_exit(pid), slurp(dir / "stdout.txt"), slurp(dir / "stderr.txt")};
  return r;
}

std::vector<nlohmann::json> manifest(const fs::path& out) {
  std::vector<nlohmann::json> lines;
  std::ifstream in(out / ".conc-fetch.jsonl");
  for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
  return lines;
}

}  // namespace

TEST_CASE("a mixed list: good files arrive intact, each bad one is reported", "[fetch][cli]") {
  const std::string engine = GENERATE(as<std::string>(), "threads", "multi");
  INFO("engine " << engine);
  Server s;
  TempDir dir;
  const std::string out = (dir / "out").string();
  const std::string wrong_sum(64, '0');
  const std::string list =
      s.url("/file/a.bin?size=300000&seed=1") + "\n" + s.url("/file/sub/a.bin?size=1000&seed=2") +
      "\n" +                                                           // same name: a.1.bin
      s.url("/flaky/f1/2/flaky.bin?size=20000&seed=3") + "\n" +        // two 503s, then fine
      s.url("/cut/c1/cut.bin?size=400000&seed=4&cut=100000") + "\n" +  // cut short, resumed with Range
      s.url("/status/404") + "\n" + s.url("/status/410") + "\n" + s.url("/status/500") + "\n" +  // fails every attempt
      s.url("/loop") + "\n" + s.url("/to-file") + "\n" + "not a url at all\n" + s.url("/file/x?size=10&seed=5") +
      "\n  out=../../escape.bin\n" + s.url("/file/y?size=10&seed=6") + "\n  checksum=sha-256=" + wrong_sum + "\n" +
      s.url("/file/%2e%2e%2fz.bin?size=10&seed=7") + "\n";
  const Result r = run_fetch(dir, list, {"-o", out, "-j", "4", "--retries", "2", "--no-progress", "--engine", engine});
  INFO(r.err);
  CHECK(r.exit_code == 1);
  CHECK(sha256_of(dir / "out/a.bin") == s.digest(300000, 1));
  CHECK(sha256_of(dir / "out/a.1.bin") == s.digest(1000, 2));
  CHECK(sha256_of(dir / "out/flaky.bin") == s.digest(20000, 3));
  CHECK(sha256_of(dir / "out/cut.bin") == s.digest(400000, 4));
  CHECK(sha256_of(dir / "out/escape.bin") == s.digest(10, 5));  // confined to --out
  CHECK(fs::exists(dir / "out/.._z.bin"));
  CHECK(s.hits("/cut/c1/cut.bin") == 2);
  const auto cut = s.requests("/cut/c1/cut.bin");
  REQUIRE(cut.size() == 2);
  CHECK(cut[1]["range"] == "bytes=100000-");  // the retry continued the part: the first 100,000 bytes not again
  CHECK(s.hits("/status/404") == 1);          // 404 is not retried
  CHECK(s.hits("/status/500") == 3);          // the first attempt and two retries
  CHECK(r.err.find("error: " + s.url("/status/404") + ": HTTP 404\n") != std::string::npos);
  CHECK(r.err.find("error: " + s.url("/status/410") + ": HTTP 410\n") != std::string::npos);
  CHECK(r.err.find("error: " + s.url("/status/500") + ": HTTP 500 after 3 attempts\n") != std::string::npos);
  CHECK(r.err.find(s.url("/loop") + ": too many redirects (more than 20, --max-redirects)\n") != std::string::npos);
  CHECK(s.hits("/loop") == 21);
  CHECK(r.err.find(s.url("/to-file") + ": redirected to file:///etc/passwd, which is not http or https\n") !=
        std::string::npos);
  CHECK(r.err.find("line 10: not a url at all: not a URL (no scheme://)") != std::string::npos);
  CHECK(r.err.find(s.url("/file/y?size=10&seed=6") + ": SHA-256 mismatch") != std::string::npos);
  CHECK_FALSE(fs::exists(dir / "out/y"));
  CHECK_FALSE(fs::exists(dir / "out/y.part"));
  CHECK_FALSE(fs::exists(dir / "escape.bin"));
  CHECK_FALSE(fs::exists(dir / "etc"));
  const auto lines = manifest(dir / "out");
  CHECK(lines.size() == 13);  // one line per list entry
  int ok = 0;
  for (const auto& l : lines) ok += l["status"] == "ok";
  CHECK(ok == 6);
  // Nothing but finished files (and the manifest) under --out.
  for (auto& e : fs::recursive_directory_iterator(dir / "out")) {
    CHECK(e.path().extension() != ".part");
  }
}

TEST_CASE("Retry-After is honoured", "[fetch][cli]") {
  const std::string engine = GENERATE(as<std::string>(), "threads", "multi");
  INFO("engine " << engine);
  Server s;
  TempDir dir;
  const auto start = std::chrono::steady_clock::now();
  const Result r = run_fetch(dir, s.url("/flaky/ra/1/r.bin?size=100&seed=1&code=429&retry_after=1") + "\n",
                             {"-o", (dir / "out").string(), "--no-progress", "--engine", engine});
  CHECK(r.exit_code == 0);
  CHECK(std::chrono::steady_clock::now() - start >= 1s);
  CHECK(sha256_of(dir / "out/r.bin") == s.digest(100, 1));
}

TEST_CASE("a re-run skips what the manifest records as done", "[fetch][cli]") {
  Server s;
  TempDir dir;
  const std::string list = s.url("/file/1.bin?size=5000&seed=1") + "\n" + s.url("/file/2.bin?size=5000&seed=2") + "\n";
  CHECK(run_fetch(dir, list, {"-o", (dir / "out").string(), "--no-progress"}).exit_code == 0);
  const Result again = run_fetch(dir, list, {"-o", (dir / "out").string(), "--no-progress"});
  CHECK(again.exit_code == 0);
  CHECK(again.err.find("0 downloaded, 2 skipped, 0 failed") != std::string::npos);
  CHECK(s.hits("/file/1.bin") == 1);
  const Result forced = run_fetch(dir, list, {"-o", (dir / "out").string(), "--no-progress", "--force"});
  CHECK(forced.err.find("2 downloaded, 0 skipped") != std::string::npos);
}

TEST_CASE("a list longer than the planner's lead is downloaded whole, however its hosts hold it back", "[fetch][cli]") {
  Server s;
  TempDir dir;
  // 2,500 URLs: more than the 1,024 startable ones the planner keeps ahead of the downloads.
  std::string list;
  for (int i = 0; i < 2500; ++i)
    list += s.url("/file/f" + std::to_string(i) + ".bin?size=64&seed=" + std::to_string(i)) + "\n";
  // No per-host limit: the planner waits for the downloads. One host at 2: what it holds back does not count.
  const std::vector<std::vector<std::string>> runs = {{"--engine", "threads", "-j", "16", "--per-host", "0"},
                                                      {"--engine", "multi", "-j", "16", "--per-host", "2"}};
  int n = 0;
  for (std::vector<std::string> args : runs) {
    const fs::path out = dir / ("out" + std::to_string(n++));
    args.insert(args.end(), {"--no-progress", "-o", out.string()});
    const Result r = run_fetch(dir, list, args);
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.err.find("2500 downloaded, 0 skipped, 0 failed") != std::string::npos);
    CHECK(fs::file_size(out / "f2499.bin") == 64);
  }
}

TEST_CASE("a URL listed twice is downloaded once per listing, and not again on a re-run", "[fetch][cli]") {
  Server s;
  TempDir dir;
  const std::string url = s.url("/file/twice.bin?size=3000&seed=9");
  const std::string list = url + "\n" + url + "\n";
  const Result first = run_fetch(dir, list, {"-o", (dir / "out").string(), "--no-progress"});
  INFO(first.err);
  CHECK(first.exit_code == 0);
  CHECK(sha256_of(dir / "out/twice.bin") == s.digest(3000, 9));
  CHECK(sha256_of(dir / "out/twice.1.bin") == s.digest(3000, 9));
  const Result again = run_fetch(dir, list, {"-o", (dir / "out").string(), "--no-progress"});
  INFO(again.err);
  CHECK(again.exit_code == 0);
  CHECK(again.err.find("0 downloaded, 2 skipped, 0 failed") != std::string::npos);
  CHECK(s.hits("/file/twice.bin") == 2);
}

TEST_CASE("a killed run leaves only .part files and resumes with Range", "[fetch][cli]") {
  const std::string engine = GENERATE(as<std::string>(), "threads", "multi");
  INFO("engine " << engine);
  Server s;
  TempDir dir;
  // The server sends 100,000 bytes, then holds the rest until the gate opens. (A body of at most
  // 64 KiB keeps its validators only when its attempt ends, so a kill leaves nothing to continue.)
  const std::string url = s.url("/gate/killed/slow.bin?size=200000&seed=8&half=100000");
  std::ofstream(dir / "list.txt") << url << "\n";
  const pid_t pid = spawn(
      {CONC_FETCH_EXE, "-o", (dir / "out").string(), "--no-progress", "--engine", engine, (dir / "list.txt").string()},
      dir / "o.txt", dir / "e.txt");
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  auto part_size = [&] {
    std::error_code ec;
    const auto n = fs::file_size(dir / "out/slow.bin.part", ec);
    return ec ? std::uintmax_t{0} : n;
  };
  while (std::chrono::steady_clock::now() < deadline && part_size() < 50000) std::this_thread::sleep_for(20ms);
  ::kill(pid, SIGKILL);
  wait_exit(pid);
  const auto partial = part_size();
  s.get("/open/killed");
  REQUIRE(partial >= 50000);
  REQUIRE(partial <= 100000);
  CHECK_FALSE(fs::exists(dir / "out/slow.bin"));
  CHECK(fs::exists(dir / "out/slow.bin.part.json"));
  const Result r = run_fetch(dir, url + "\n", {"-o", (dir / "out").string(), "--no-progress", "--engine", engine});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(sha256_of(dir / "out/slow.bin") == s.digest(200000, 8));
  CHECK_FALSE(fs::exists(dir / "out/slow.bin.part"));
  CHECK_FALSE(fs::exists(dir / "out/slow.bin.part.json"));
  // The second run asked only for what the part lacked, and says it continued it.
  const auto requests = s.requests("/gate/killed/slow.bin");
  REQUIRE(requests.size() == 2);
  CHECK(requests[0]["range"].is_null());
  CHECK(requests[1]["range"] == "bytes=" + std::to_string(partial) + "-");
  const auto lines = manifest(dir / "out");
  REQUIRE(lines.size() == 1);
  CHECK(lines[0]["resumed_from"] == partial);
  CHECK(lines[0]["resume_check"] == "length");  // the test server's /gate gives no ETag or Last-Modified
  CHECK(lines[0]["sha256"] == s.digest(200000, 8));
}

TEST_CASE("a body larger than --max-size is refused", "[fetch][cli]") {
  const std::string engine = GENERATE(as<std::string>(), "threads", "multi");
  INFO("engine " << engine);
  Server s;
  TempDir dir;
  const Result r = run_fetch(dir, s.url("/huge") + "\n",
                             {"-o", (dir / "out").string(), "--max-size", "1M", "--no-progress", "--engine", engine});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find(": larger than --max-size 1048576 bytes") != std::string::npos);
  CHECK_FALSE(fs::exists(dir / "out/huge"));
  CHECK_FALSE(fs::exists(dir / "out/huge.part"));
}

TEST_CASE("with --no-hash the manifest sha256 is empty but given checksums are still checked", "[fetch][cli]") {
  Server s;
  TempDir dir;
  const std::string list = s.url("/file/plain.bin?size=70000&seed=1") + "\n" +
                           s.url("/file/good.bin?size=5000&seed=2") + "\n  checksum=sha-256=" + s.digest(5000, 2) +
                           "\n" + s.url("/file/bad.bin?size=5000&seed=3") +
                           "\n  checksum=sha-256=" + std::string(64, 'f') + "\n";
  const Result r =
      run_fetch(dir, list, {"-o", (dir / "out").string(), "--no-progress", "--no-hash", "--engine", "multi"});
  INFO(r.err);
  CHECK(r.exit_code == 1);
  CHECK(sha256_of(dir / "out/plain.bin") == s.digest(70000, 1));
  CHECK(sha256_of(dir / "out/good.bin") == s.digest(5000, 2));
  CHECK_FALSE(fs::exists(dir / "out/bad.bin"));
  CHECK(r.err.find("bad.bin?size=5000&seed=3: SHA-256 mismatch") != std::string::npos);
  std::map<std::string, std::string> sums;
  for (const auto& l : manifest(dir / "out")) sums[l["path"].get<std::string>()] = l["sha256"].get<std::string>();
  CHECK(sums.at("plain.bin").empty());
  CHECK(sums.at("good.bin") == s.digest(5000, 2));
}

TEST_CASE("large bodies are hashed right, also across a Range resume", "[fetch][cli]") {
  const std::string engine = GENERATE(as<std::string>(), "threads", "multi");
  INFO("engine " << engine);
  Server s;
  TempDir dir;
  const std::string list = s.url("/file/big.bin?size=5000000&seed=11") + "\n" +
                           s.url("/cut/c9/resumed.bin?size=3000000&seed=12&cut=1800000") +
                           "\n  checksum=sha-256=" + s.digest(3000000, 12) + "\n";
  const Result r = run_fetch(dir, list, {"-o", (dir / "out").string(), "--no-progress", "--engine", engine});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(s.hits("/cut/c9/resumed.bin") == 2);
  const auto cut = s.requests("/cut/c9/resumed.bin");
  REQUIRE(cut.size() == 2);
  CHECK(cut[1]["range"] == "bytes=1800000-");
  std::map<std::string, std::string> sums;
  for (const auto& l : manifest(dir / "out")) sums[l["path"].get<std::string>()] = l["sha256"].get<std::string>();
  CHECK(sums.at("big.bin") == s.digest(5000000, 11));
  CHECK(sums.at("resumed.bin") == s.digest(3000000, 12));
  CHECK(sha256_of(dir / "out/big.bin") == s.digest(5000000, 11));
}

TEST_CASE("one run at a time per output folder: a second exits 2, or waits with --wait-lock", "[fetch][cli]") {
  Server s;
  TempDir dir;
  TempDir other;
  const std::string out = (dir / "out").string();
  const std::string other_file = s.url("/file/other.bin?size=1000&seed=4");
  // The first run holds the folder until the test opens the gate of its one download.
  auto start_first = [&](const std::string& gate) {
    std::ofstream(dir / "list.txt") << s.url("/gate/" + gate + "/slow.bin?size=40000&seed=3") << "\n";
    const pid_t pid =
        spawn({CONC_FETCH_EXE, "-o", out, "--no-progress", (dir / "list.txt").string()}, dir / "o.txt", dir / "e.txt");
    // It holds the lock once its part file exists.
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (std::chrono::steady_clock::now() < deadline && !fs::exists(dir / "out/slow.bin.part"))
      std::this_thread::sleep_for(10ms);
    return pid;
  };

  const pid_t first = start_first("g1");
  const Result refused = run_fetch(other, other_file + "\n", {"-o", out, "--no-progress"});
  s.get("/open/g1");
  const int first_exit = wait_exit(first);
  INFO(refused.err);
  CHECK(first_exit == 0);
  CHECK(refused.exit_code == 2);
  CHECK(refused.err.find(" is in use by another conc-fetch run (pid " + std::to_string(first) + ")") !=
        std::string::npos);
  CHECK(s.hits("/file/other.bin") == 0);
  CHECK(sha256_of(dir / "out/slow.bin") == s.digest(40000, 3));
  CHECK(manifest(dir / "out").size() == 1);

  fs::remove(dir / "out/slow.bin");
  fs::remove(dir / "out/.conc-fetch.jsonl");
  const pid_t again = start_first("g2");
  const std::string list = s.url("/gate/g2/slow.bin?size=40000&seed=3") + "\n" + other_file + "\n";
  std::ofstream(other / "list.txt") << list;
  const pid_t waiting =
      spawn({CONC_FETCH_EXE, "-o", out, "--no-progress", "--wait-lock", (other / "list.txt").string()}, other / "o.txt",
            other / "e.txt");
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (std::chrono::steady_clock::now() < deadline &&
         slurp(other / "e.txt").find("waiting for another conc-fetch run") == std::string::npos)
    std::this_thread::sleep_for(10ms);
  const std::string said_while_waiting = slurp(other / "e.txt");
  s.get("/open/g2");
  CHECK(wait_exit(again) == 0);
  const int waited_exit = wait_exit(waiting);
  const std::string waited_err = slurp(other / "e.txt");
  INFO(waited_err);
  CHECK(said_while_waiting.find("waiting for another conc-fetch run (pid " + std::to_string(again) + ")") !=
        std::string::npos);
  CHECK(waited_exit == 0);
  CHECK(waited_err.find("1 downloaded, 1 skipped, 0 failed") != std::string::npos);
  CHECK(s.hits("/gate/g2/slow.bin") == 1);  // by the first run only
  CHECK(sha256_of(dir / "out/slow.bin") == s.digest(40000, 3));
  CHECK(sha256_of(dir / "out/other.bin") == s.digest(1000, 4));
  for (const auto& l : manifest(dir / "out")) CHECK(l["status"] == "ok");
}

TEST_CASE("a recorded file counts as done only while it matches the manifest", "[fetch][cli]") {
  Server s;
  TempDir dir;
  const std::string out = (dir / "out").string();
  const std::string list = s.url("/file/a.bin?size=5000&seed=1") + "\n" + s.url("/file/b.bin?size=5000&seed=2") + "\n";
  REQUIRE(run_fetch(dir, list, {"-o", out, "--no-progress"}).exit_code == 0);
  std::ofstream(dir / "out/a.bin", std::ios::app) << "more";  // another size
  {
    std::fstream b(dir / "out/b.bin", std::ios::in | std::ios::out | std::ios::binary);
    b.seekp(100);
    b.put('\x5a' ^ slurp(dir / "out/b.bin")[100]);  // the same size, other bytes
  }
  const Result sized = run_fetch(dir, list, {"-o", out, "--no-progress"});
  INFO(sized.err);
  CHECK(sized.exit_code == 0);
  CHECK(sized.err.find("note: " + s.url("/file/a.bin?size=5000&seed=1") +
                       ": a.bin changed since it was downloaded (its size is 5004 bytes, recorded 5000)") !=
        std::string::npos);
  CHECK(sized.err.find("1 downloaded, 1 skipped, 0 failed") != std::string::npos);
  CHECK(sha256_of(dir / "out/a.bin") == s.digest(5000, 1));
  CHECK(sha256_of(dir / "out/b.bin") != s.digest(5000, 2));

  const Result verified = run_fetch(dir, list, {"-o", out, "--no-progress", "--verify"});
  INFO(verified.err);
  CHECK(verified.exit_code == 0);
  CHECK(verified.err.find("b.bin changed since it was downloaded (its SHA-256 differs") != std::string::npos);
  CHECK(verified.err.find("1 downloaded, 1 skipped, 0 failed") != std::string::npos);
  CHECK(sha256_of(dir / "out/b.bin") == s.digest(5000, 2));
  CHECK(s.hits("/file/a.bin") == 2);
  CHECK(s.hits("/file/b.bin") == 2);
}

TEST_CASE("a cut download from a server without Range support starts again from zero", "[fetch][cli]") {
  const std::string engine = GENERATE(as<std::string>(), "threads", "multi");
  INFO("engine " << engine);
  Server s;
  TempDir dir;
  const std::string refused = s.url("/file/refused.bin?size=1000&seed=6");
  const std::string moved = s.url("/file/moved.bin?size=5000&seed=7&badrange=1");
  const std::string list =
      s.url("/cut/nr/nr.bin?size=400000&seed=5&cut=100000&norange=1") + "\n" + refused + "\n" + moved + "\n";
  // A part longer than the file: the server refuses its range with 416.
  plant_part(dir / "out/refused.bin.part", std::string(3000, 'x'), refused, {{"length", 3000}});
  // A part the server answers with 206 from another byte than asked for: never appended to.
  plant_part(dir / "out/moved.bin.part", std::string(1000, 'y'), moved, {{"length", 5000}});
  const Result r =
      run_fetch(dir, list, {"-o", (dir / "out").string(), "--no-progress", "--retries", "1", "--engine", engine});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(sha256_of(dir / "out/nr.bin") == s.digest(400000, 5));
  CHECK(sha256_of(dir / "out/refused.bin") == s.digest(1000, 6));
  CHECK(sha256_of(dir / "out/moved.bin") == s.digest(5000, 7));
  // The cut one was asked to be continued, and the server sent it whole again.
  const auto cut = s.requests("/cut/nr/nr.bin");
  REQUIRE(cut.size() == 2);
  CHECK(cut[0]["range"].is_null());
  CHECK(cut[1]["range"] == "bytes=100000-");
  // The parts left before were asked to be continued, then started again from zero.
  for (const auto& [path, from] :
       std::vector<std::pair<std::string, std::string>>{{"/file/refused.bin", "3000"}, {"/file/moved.bin", "1000"}}) {
    INFO(path);
    const auto requests = s.requests(path);
    REQUIRE(requests.size() == 2);
    CHECK(requests[0]["range"] == "bytes=" + from + "-");
    CHECK(requests[1]["range"].is_null());
  }
  CHECK_FALSE(fs::exists(dir / "out/nr.bin.part"));
  CHECK_FALSE(fs::exists(dir / "out/refused.bin.part"));
  CHECK_FALSE(fs::exists(dir / "out/refused.bin.part.json"));
  CHECK_FALSE(fs::exists(dir / "out/moved.bin.part.json"));
  std::map<std::string, std::string> sums;
  for (const auto& l : manifest(dir / "out")) sums[l["path"].get<std::string>()] = l["sha256"].get<std::string>();
  CHECK(sums.at("nr.bin") == s.digest(400000, 5));
  CHECK(sums.at("refused.bin") == s.digest(1000, 6));
}

TEST_CASE("each -H takes one header and leaves the list to the positional argument", "[fetch][cli]") {
  Server s;
  TempDir dir;
  const Result r = run_fetch(dir, s.url("/headers") + "\n",
                             {"-o", (dir / "out").string(), "--no-progress", "-H", "X-One: 1", "-H", "X-Two: 2"});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.err.find("1 downloaded, 0 skipped, 0 failed") != std::string::npos);
  const std::string sent = slurp(dir / "out/headers");
  CHECK(sent.find("X-One: 1\n") != std::string::npos);
  CHECK(sent.find("X-Two: 2\n") != std::string::npos);
}

TEST_CASE("a Retry-After longer than --retry-max-wait fails the URL at once, with the reason", "[fetch][cli]") {
  const std::string engine = GENERATE(as<std::string>(), "threads", "multi");
  INFO("engine " << engine);
  Server s;
  TempDir dir;
  const std::string list = s.url("/status/429?retry_after=3600") + "\n" +
                           s.url("/flaky/w6/1/six.bin?size=100&seed=1&code=503&retry_after=6") + "\n";
  const Result r = run_fetch(dir, list, {"-o", (dir / "out").string(), "--no-progress", "--engine", engine});
  INFO(r.err);
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("error: " + s.url("/status/429?retry_after=3600") +
                   ": HTTP 429, and the server asks to wait 3600 s (Retry-After), more than --retry-max-wait 60 s\n") !=
        std::string::npos);
  CHECK(s.hits("/status/429") == 1);
  // A wait within the bound is said on its own line, without -v.
  CHECK(r.err.find("retry: " + s.url("/flaky/w6/1/six.bin?size=100&seed=1&code=503&retry_after=6") +
                   ": HTTP 503 (attempt 1), waiting") != std::string::npos);
  CHECK(r.err.find("as the server asks (Retry-After)") != std::string::npos);
  CHECK(sha256_of(dir / "out/six.bin") == s.digest(100, 1));

  const Result capped =
      run_fetch(dir, s.url("/flaky/w2/1/two.bin?size=100&seed=2&retry_after=2") + "\n",
                {"-o", (dir / "out").string(), "--no-progress", "--engine", engine, "--retry-max-wait", "1"});
  CHECK(capped.exit_code == 1);
  CHECK(capped.err.find("asks to wait 2 s (Retry-After), more than --retry-max-wait 1 s") != std::string::npos);
}

TEST_CASE("501 is not retried, 20 redirects are followed and 21 are too many", "[fetch][cli]") {
  Server s;
  TempDir dir;
  const std::string list = s.url("/status/501") + "\n" + s.url("/status/503") + "\n" +
                           s.url("/redirect/20/far.bin?size=100&seed=1") + "\n" +
                           s.url("/redirect/21/too-far.bin?size=100&seed=2") + "\n";
  const Result r = run_fetch(dir, list, {"-o", (dir / "out").string(), "--no-progress", "--retries", "1"});
  INFO(r.err);
  CHECK(r.exit_code == 1);
  CHECK(s.hits("/status/501") == 1);
  CHECK(s.hits("/status/503") == 2);
  CHECK(r.err.find("error: " + s.url("/status/501") + ": HTTP 501\n") != std::string::npos);
  CHECK(sha256_of(dir / "out/far.bin") == s.digest(100, 1));
  CHECK(r.err.find("error: " + s.url("/redirect/21/too-far.bin?size=100&seed=2") +
                   ": too many redirects (more than 20, --max-redirects)\n") != std::string::npos);
  CHECK_FALSE(fs::exists(dir / "out/too-far.bin"));
}

TEST_CASE("huge response headers fail once with one clear reason", "[fetch][cli]") {
  const std::string engine = GENERATE(as<std::string>(), "threads", "multi");
  INFO("engine " << engine);
  Server s;
  TempDir dir;
  const std::string list = s.url("/big-headers?kb=380") + "\n" + s.url("/big-headers?kb=90") + "\n";
  const Result r = run_fetch(dir, list, {"-o", (dir / "out").string(), "--no-progress", "--engine", engine});
  INFO(r.err);
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("error: " + s.url("/big-headers?kb=380") + ": response headers larger than 256 KiB\n") !=
        std::string::npos);
  CHECK(r.err.find("1 downloaded, 0 skipped, 1 failed") != std::string::npos);
  CHECK(s.hits("/big-headers") == 2);
  CHECK(slurp(dir / "out/big-headers.1") == "body\n");
}

TEST_CASE("Ctrl-C ends the run with the summary line, and the next run resumes", "[fetch][cli]") {
  const std::string engine = GENERATE(as<std::string>(), "threads", "multi");
  INFO("engine " << engine);
  Server s;
  TempDir dir;
  const std::string slow = s.url("/gate/int/int.bin?size=60000&seed=8&half=20000");
  const std::string queued = s.url("/file/queued.bin?size=2000&seed=9");
  std::ofstream(dir / "list.txt") << slow << "\n" << queued << "\n";
  const std::string out = (dir / "out").string();
  const pid_t pid =
      spawn({CONC_FETCH_EXE, "-o", out, "--no-progress", "-j", "1", "--engine", engine, (dir / "list.txt").string()},
            dir / "o.txt", dir / "e.txt");
  auto part_size = [&] {
    std::error_code ec;
    const auto n = fs::file_size(dir / "out/int.bin.part", ec);
    return ec ? std::uintmax_t{0} : n;
  };
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (std::chrono::steady_clock::now() < deadline && part_size() == 0) std::this_thread::sleep_for(10ms);
  ::kill(pid, SIGINT);
  const int code = wait_exit(pid);
  const std::string err = slurp(dir / "e.txt");
  INFO(err);
  CHECK(code == 130);
  CHECK(err.find("0 downloaded, 0 skipped, 0 failed") != std::string::npos);
  CHECK(err.find("interrupted: 2 left for the next run") != std::string::npos);
  CHECK(part_size() > 0);
  CHECK(manifest(dir / "out").empty());
  CHECK(s.hits("/file/queued.bin") == 0);

  const auto kept = part_size();
  s.get("/open/int");
  const Result r = run_fetch(dir, slow + "\n" + queued + "\n", {"-o", out, "--no-progress", "--engine", engine});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(sha256_of(dir / "out/int.bin") == s.digest(60000, 8));
  CHECK(sha256_of(dir / "out/queued.bin") == s.digest(2000, 9));
  // The part the Ctrl-C kept (with its validators, written as the transfer ended) was continued.
  const auto requests = s.requests("/gate/int/int.bin");
  REQUIRE(requests.size() == 2);
  CHECK(requests[1]["range"] == "bytes=" + std::to_string(kept) + "-");
}

TEST_CASE("the --rate cap holds for the whole run, and a Ctrl-C is seen while the cap holds it back", "[fetch][cli]") {
  const std::string engine = GENERATE(as<std::string>(), "threads", "multi");
  INFO("engine " << engine);
  Server s;
  {
    TempDir dir;
    // 1,200,000 bytes at 409,600 B/s, a second's worth of burst: at least 1.9 s, however fast the machine.
    std::string list;
    for (int i = 0; i < 3; ++i)
      list += s.url("/file/r" + std::to_string(i) + ".bin?size=400000&seed=" + std::to_string(i)) + "\n";
    const auto start = std::chrono::steady_clock::now();
    const Result r =
        run_fetch(dir, list, {"-o", (dir / "out").string(), "--no-progress", "--rate", "400k", "--engine", engine});
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(seconds >= 1.5);
    for (int i = 0; i < 3; ++i) CHECK(sha256_of(dir / ("out/r" + std::to_string(i) + ".bin")) == s.digest(400000, i));
  }
  {
    TempDir dir;
    // At 1 KiB/s each 16 KiB piece of the body is due 16 s after the last: the run must still stop at once.
    std::ofstream(dir / "list.txt") << s.url("/file/capped.bin?size=200000&seed=4") << "\n";
    const pid_t pid = spawn({CONC_FETCH_EXE, "-o", (dir / "out").string(), "--no-progress", "--rate", "1k", "--engine",
                             engine, (dir / "list.txt").string()},
                            dir / "o.txt", dir / "e.txt");
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (std::chrono::steady_clock::now() < deadline && !fs::exists(dir / "out/capped.bin.part")) {
      std::this_thread::sleep_for(10ms);
    }
    std::this_thread::sleep_for(500ms);
    const auto asked = std::chrono::steady_clock::now();
    ::kill(pid, SIGINT);
    const int code = wait_exit(pid);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - asked).count();
    INFO(slurp(dir / "e.txt"));
    CHECK(code == 130);
    CHECK(seconds < 8);
  }
}

TEST_CASE("an international host is asked for in punycode, a literal space as %20", "[fetch][cli]") {
  Server s;
  TempDir dir;
  // The test server doubles as an HTTP proxy, so that the IDN host never needs DNS.
  const std::string list =
      "http://b\xC3\xBC"
      "cher.example/headers\n" +
      s.url("/file/a b.bin?size=10&seed=1") + "\n";
  const Result r = run_fetch(dir, list, {"-o", (dir / "out").string(), "--no-progress", "--proxy", s.url("")});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(slurp(dir / "out/headers").find("Host: xn--bcher-kva.example\n") != std::string::npos);
  CHECK(sha256_of(dir / "out/a b.bin") == s.digest(10, 1));
  CHECK(s.hits("/file/a%20b.bin") == 1);
  std::set<std::string> urls;
  for (const auto& l : manifest(dir / "out")) urls.insert(l["url"].get<std::string>());
  CHECK(urls.count("http://b\xC3\xBC"
                   "cher.example/headers") == 1);  // recorded as listed
}

TEST_CASE("with --compressed a compressed body is asked for and saved decoded", "[fetch][cli]") {
  const std::string engine = GENERATE(as<std::string>(), "threads", "multi");
  INFO("engine " << engine);
  Server s;
  TempDir dir;
  const std::string list = s.url("/gzip/z.bin?size=200000&seed=3") + "\n" + s.url("/headers") + "\n";
  fs::create_directories(dir / "out");
  std::ofstream(dir / "out/z.bin.part") << std::string(1000, 'x');  // never resumed: the range would be of gzip bytes
  const Result r =
      run_fetch(dir, list, {"-o", (dir / "out").string(), "--no-progress", "--compressed", "--engine", engine});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(sha256_of(dir / "out/z.bin") == s.digest(200000, 3));
  const std::string sent = slurp(dir / "out/headers");
  CHECK(sent.find("Accept-Encoding: ") != std::string::npos);
  CHECK(sent.find("gzip") != std::string::npos);
  std::map<std::string, nlohmann::json> lines;
  for (const auto& l : manifest(dir / "out")) lines[l["path"].get<std::string>()] = l;
  CHECK(lines.at("z.bin")["bytes"] == 200000);
  CHECK(lines.at("z.bin")["sha256"] == s.digest(200000, 3));
}

TEST_CASE("aria2 mirrors: when one URI fails for good the next is tried", "[fetch][cli]") {
  const std::string engine = GENERATE(as<std::string>(), "threads", "multi");
  INFO("engine " << engine);
  Server s;
  TempDir dir;
  const std::string list = s.url("/status/404") + "\t" + s.url("/status/500") + "\t" +
                           s.url("/file/m.bin?size=3000&seed=2") + "\n" + s.url("/status/410") + "\t" +
                           s.url("/status/403") + "\n";
  const Result r =
      run_fetch(dir, list, {"-o", (dir / "out").string(), "--no-progress", "--retries", "1", "--engine", engine});
  INFO(r.err);
  CHECK(r.exit_code == 1);
  CHECK(sha256_of(dir / "out/404") == s.digest(3000, 2));  // named after the listed URL
  CHECK(s.hits("/status/404") == 1);
  CHECK(s.hits("/status/500") == 2);
  CHECK(s.hits("/file/m.bin") == 1);
  CHECK(r.err.find("error: " + s.url("/status/410") + ": all 2 URIs failed: " + s.url("/status/410") + ": HTTP 410; " +
                   s.url("/status/403") + ": HTTP 403 after 2 attempts\n") != std::string::npos);
  CHECK(r.err.find("1 downloaded, 0 skipped, 1 failed") != std::string::npos);
}

TEST_CASE("downloads start while the list on stdin is still being read", "[fetch][cli]") {
  const std::string engine = GENERATE(as<std::string>(), "threads", "multi");
  INFO("engine " << engine);
  Server s;
  TempDir dir;
  int pipe_fds[2];
  REQUIRE(::pipe2(pipe_fds, O_CLOEXEC) == 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[0], 0);
  posix_spawn_file_actions_addopen(&actions, 1, (dir / "o.txt").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, (dir / "e.txt").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<std::string> args = {CONC_FETCH_EXE, "-o", (dir / "out").string(), "--no-progress", "--engine",
                                   engine,         "-"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  const int spawned = ::posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(pipe_fds[0]);
  REQUIRE(spawned == 0);
  const std::string first = s.url("/file/first.bin?size=1000&seed=1") + "\n";
  CHECK(::write(pipe_fds[1], first.data(), first.size()) == static_cast<ssize_t>(first.size()));
  // The first file arrives while the list is still open.
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < deadline && !fs::exists(dir / "out/first.bin"))
    std::this_thread::sleep_for(10ms);
  const bool first_before_eof = fs::exists(dir / "out/first.bin");
  const std::string second = s.url("/file/second.bin?size=1000&seed=2") + "\n";
  CHECK(::write(pipe_fds[1], second.data(), second.size()) == static_cast<ssize_t>(second.size()));
  ::close(pipe_fds[1]);
  const int code = wait_exit(pid);
  INFO(slurp(dir / "e.txt"));
  CHECK(first_before_eof);
  CHECK(code == 0);
  CHECK(sha256_of(dir / "out/first.bin") == s.digest(1000, 1));
  CHECK(sha256_of(dir / "out/second.bin") == s.digest(1000, 2));
  CHECK(slurp(dir / "e.txt").find("2 downloaded, 0 skipped, 0 failed") != std::string::npos);
}

TEST_CASE("with --content-disposition files are named as the server says, inside --out and unique", "[fetch][cli]") {
  Server s;
  TempDir dir;
  const std::string out = (dir / "out").string();
  const std::string list =
      s.url("/disposition/plain?size=100&seed=1") + "\n" + s.url("/disposition/star?size=100&seed=2") + "\n" +
      s.url("/disposition/evil?size=100&seed=3") + "\n" + s.url("/disposition/clash?size=100&seed=4") + "\n" +
      s.url("/disposition/plain?size=100&seed=5") + "\n  out=given.bin\n";
  const Result r = run_fetch(dir, list, {"-o", out, "--no-progress", "-j", "1", "--content-disposition"});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(sha256_of(dir / "out/report 1.pdf") == s.digest(100, 1));
  CHECK(sha256_of(dir / "out/r\xC3\xA9sum\xC3\xA9.txt") == s.digest(100, 2));
  CHECK(sha256_of(dir / "out/evil.sh") == s.digest(100, 3));
  CHECK(sha256_of(dir / "out/report 1.1.pdf") == s.digest(100, 4));
  CHECK(sha256_of(dir / "out/given.bin") == s.digest(100, 5));  // out= wins
  CHECK_FALSE(fs::exists(dir / "evil.sh"));
  CHECK_FALSE(fs::exists(dir / "out/plain"));
  std::set<std::string> paths;
  for (const auto& l : manifest(dir / "out")) paths.insert(l["path"].get<std::string>());
  CHECK(paths ==
        std::set<std::string>{"report 1.pdf", "r\xC3\xA9sum\xC3\xA9.txt", "evil.sh", "report 1.1.pdf", "given.bin"});
  const Result again = run_fetch(dir, list, {"-o", out, "--no-progress", "--content-disposition"});
  INFO(again.err);
  CHECK(again.err.find("0 downloaded, 5 skipped, 0 failed") != std::string::npos);
}

TEST_CASE("a network failure is said in libcurl's own words, naming host and port", "[fetch][cli]") {
  TempDir dir;
  const Result r = run_fetch(dir, "http://127.0.0.1:1/nothing-listens.bin\n",
                             {"-o", (dir / "out").string(), "--no-progress", "--retries", "0"});
  INFO(r.err);
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("error: http://127.0.0.1:1/nothing-listens.bin: Failed to connect to 127.0.0.1 port 1") !=
        std::string::npos);
}

TEST_CASE("a -j above the open-file limit is lowered to what fits, and every download arrives", "[fetch][cli]") {
  const std::string engine = GENERATE(as<std::string>(), "threads", "multi");
  INFO("engine " << engine);
  Server s;
  TempDir dir;
  std::string list;
  for (int i = 0; i < 60; ++i) {
    list += s.url("/file/f" + std::to_string(i) + ".bin?size=1000&seed=" + std::to_string(i) + "&delay_ms=300") + "\n";
  }
  std::ofstream(dir / "list.txt") << list;
  // 128 descriptors in all (soft and hard): 60 transfers at once, each with a socket and a part file, do not fit.
  const pid_t pid =
      spawn({"/usr/bin/prlimit", "--nofile=128", CONC_FETCH_EXE, "-o", (dir / "out").string(), "--no-progress",
             "--engine", engine, "-j", "60", "--per-host", "0", (dir / "list.txt").string()},
            dir / "o.txt", dir / "e.txt");
  const int code = wait_exit(pid);
  const std::string err = slurp(dir / "e.txt");
  INFO(err);
  CHECK(code == 0);
  CHECK(err.find("note: -j 60 would need up to 240 open files, more than this process may open; running 16 at once") !=
        std::string::npos);
  CHECK(err.find("60 downloaded, 0 skipped, 0 failed") != std::string::npos);
  for (int i = 0; i < 60; ++i) CHECK(sha256_of(dir / ("out/f" + std::to_string(i) + ".bin")) == s.digest(1000, i));
}

TEST_CASE("a response that is not HTTP/1.x is said in libcurl's words, not as a refused redirect", "[fetch][cli]") {
  const std::string engine = GENERATE(as<std::string>(), "threads", "multi");
  INFO("engine " << engine);
  Server s;
  TempDir dir;
  const Result r =
      run_fetch(dir, s.url("/garbled") + "\n" + s.url("/redirect/1/garbled") + "\n" + s.url("/to-file") + "\n",
                {"-o", (dir / "out").string(), "--no-progress", "--engine", engine});
  INFO(r.err);
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("error: " + s.url("/garbled") + ": Unsupported HTTP version (1.7) in response\n") !=
        std::string::npos);
  CHECK(r.err.find("error: " + s.url("/to-file") +
                   ": redirected to file:///etc/passwd, which is not http or https\n") != std::string::npos);
  CHECK(r.err.find("redirected to a URL") == std::string::npos);
}

TEST_CASE("no password, token or Authorization header reaches a file the run writes, its output or ps",
          "[fetch][cli][secrets]") {
  const std::string engine = GENERATE(as<std::string>(), "threads", "multi");
  INFO("engine " << engine);
  Server s;
  TempDir dir;
  const fs::path out = dir / "out";
  const std::vector<std::string> secrets = {"pw-alice-7Qx", "tok-3Zk9w1",  "pw-bob-8Rv",  "pw-carol-2Wy",
                                            "pw-erin-5Tz",  "tok-hdr-4Mq", "pw-frank-6Jn"};
  auto with_user = [&](const std::string& userinfo, const std::string& path) {
    return "http://" + userinfo + "@" + s.url(path).substr(7);
  };
  // A file for Basic authentication as user with password; the URL holds the password's SHA-256 only.
  auto basic = [&](const std::string& name, int size, int seed, const std::string& user, const std::string& password) {
    return "/basic/" + name + "?size=" + std::to_string(size) + "&seed=" + std::to_string(seed) + "&user=" + user +
           "&password_sha256=" + sha256_of_bytes(password);
  };
  // Credentials in URLs: done, failed, retried, a mirror that takes over, a malformed line.
  const std::string list =
      with_user("alice:pw-alice-7Qx", basic("a.bin", 1000, 1, "alice", "pw-alice-7Qx")) + "\n" +
      with_user("alice:pw-alice-7Qx", "/status/404") + "\n" + with_user("tok-3Zk9w1", "/file/t.bin?size=10&seed=2") +
      "\n" + with_user("bob:pw-bob-8Rv", "/status/503") + "\n" + with_user("bob:pw-bob-8Rv", "/status/410") + "\t" +
      with_user("bob:pw-bob-8Rv", "/file/m.bin?size=10&seed=3") + "\n" + "https://carol:pw-carol-2Wy@[bad/x\n" +
      with_user("bob:pw-bob-8Rv", "/status/404?1") + "\t" + with_user("bob:pw-bob-8Rv", "/status/404?2") + "\n";
  std::vector<Result> runs;
  runs.push_back(
      run_fetch(dir, list, {"-o", out.string(), "--no-progress", "--engine", engine, "-v", "--retries", "1"}));
  CHECK(runs.back().exit_code == 1);
  CHECK(runs.back().err.find("error: " + with_user("alice:***", "/status/404") + ": HTTP 404\n") != std::string::npos);
  CHECK(runs.back().out.find("ok " + with_user("***", "/file/t.bin?size=10&seed=2")) != std::string::npos);
  CHECK(runs.back().err.find("line 6: https://carol:***@[bad/x: ") != std::string::npos);
  CHECK(runs.back().err.find("all 2 URIs failed: " + with_user("bob:***", "/status/404?1") + ": HTTP 404; " +
                             with_user("bob:***", "/status/404?2") + ": HTTP 404") != std::string::npos);
  CHECK(sha256_of(out / "a.bin") == s.digest(1000, 1));  // the URL's credentials were sent
  CHECK(sha256_of(out / "410") == s.digest(10, 3));      // named after the first URI, from the mirror
  // The redacted URL is the manifest's key: a re-run finds what the first one did.
  runs.push_back(run_fetch(dir,
                           with_user("alice:pw-alice-7Qx", basic("a.bin", 1000, 1, "alice", "pw-alice-7Qx")) + "\n" +
                               with_user("tok-3Zk9w1", "/file/t.bin?size=10&seed=2") + "\n",
                           {"-o", out.string(), "--no-progress", "--engine", engine}));
  CHECK(runs.back().err.find("0 downloaded, 2 skipped, 0 failed") != std::string::npos);

  // --user, an Authorization header, a .netrc file.
  runs.push_back(run_fetch(dir, s.url(basic("e.bin", 100, 4, "erin", "pw-erin-5Tz")) + "\n",
                           {"-o", out.string(), "--no-progress", "--engine", engine, "--user", "erin:pw-erin-5Tz"}));
  CHECK(runs.back().exit_code == 0);
  CHECK(sha256_of(out / "e.bin") == s.digest(100, 4));
  runs.push_back(run_fetch(
      dir, s.url("/status/404?h") + "\n",
      {"-o", out.string(), "--no-progress", "--engine", engine, "-v", "-H", "Authorization: Bearer tok-hdr-4Mq"}));
  CHECK(runs.back().exit_code == 1);
  std::ofstream(dir / "netrc") << "machine 127.0.0.1 login frank password pw-frank-6Jn\n";
  runs.push_back(
      run_fetch(dir, s.url(basic("n.bin", 100, 5, "frank", "pw-frank-6Jn")) + "\n",
                {"-o", out.string(), "--no-progress", "--engine", engine, "--netrc-file", (dir / "netrc").string()}));
  CHECK(runs.back().exit_code == 0);
  CHECK(sha256_of(out / "n.bin") == s.digest(100, 5));
  std::ofstream(dir / "summary.txt") << slurp(dir / "list.txt");  // keep the list out of the grep below
  const pid_t summary = spawn({CONC_FETCH_EXE, "--summary", out.string()}, dir / "summary.out", dir / "summary.err");
  CHECK(wait_exit(summary) == 1);

  std::vector<std::pair<std::string, std::string>> written;  // what, its bytes
  for (const Result& r : runs) written.insert(written.end(), {{"stdout", r.out}, {"stderr", r.err}});
  written.insert(written.end(),
                 {{"--summary stdout", slurp(dir / "summary.out")}, {"--summary stderr", slurp(dir / "summary.err")}});
  for (const auto& e : fs::recursive_directory_iterator(out)) {
    if (e.is_regular_file()) written.emplace_back(e.path().string(), slurp(e.path()));
  }
  CHECK(written.size() > 10);
  for (const auto& [what, bytes] : written) {
    for (const std::string& secret : secrets) {
      INFO(what << ": " << bytes);
      CHECK(bytes.find(secret) == std::string::npos);
    }
  }
  CHECK(slurp(out / ".conc-fetch.jsonl").find(with_user("alice:***", "/status/404")) != std::string::npos);

  // The password leaves the command line ps shows once the run has read it.
  std::ofstream(dir / "slow.txt") << s.url("/file/slow.bin?size=10&seed=6&delay_ms=3000") << "\n";
  const fs::path slow_out = dir / "slow";
  const pid_t pid = spawn({CONC_FETCH_EXE, "-o", slow_out.string(), "--no-progress", "--user", "erin:pw-erin-5Tz",
                           (dir / "slow.txt").string()},
                          dir / "slow.out", dir / "slow.err");
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (!fs::exists(slow_out / ".conc-fetch.lock") && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
  }
  const std::string command_line = slurp("/proc/" + std::to_string(pid) + "/cmdline");
  CHECK(wait_exit(pid) == 0);
  INFO(command_line);
  CHECK(command_line.find("--user") != std::string::npos);
  CHECK(command_line.find("pw-erin-5Tz") == std::string::npos);
}

TEST_CASE("a server that stalls ends the attempt after --stall-timeout, and the retry resumes with Range",
          "[fetch][cli][stall]") {
  const std::string engine = GENERATE(as<std::string>(), "threads", "multi");
  INFO("engine " << engine);
  Server s;
  TempDir dir;
  const std::string path = "/stall/s1/stalled.bin";
  const std::string url = s.url(path + "?size=300000&seed=9&after=100000");
  const auto start = std::chrono::steady_clock::now();
  const Result r =
      run_fetch(dir, url + "\n",
                {"-o", (dir / "out").string(), "--no-progress", "--engine", engine, "--stall-timeout", "2", "-v"});
  const auto took = std::chrono::steady_clock::now() - start;
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(sha256_of(dir / "out/stalled.bin") == s.digest(300000, 9));
  CHECK(s.get("/ranges" + path) == "-\nbytes=100000-\n");  // the whole file asked for, then the rest
  CHECK(r.err.find("retry: " + url + ": stalled: no data from 127.0.0.1 for 2 s (--stall-timeout) (attempt 1)") !=
        std::string::npos);
  CHECK(took < 60s);  // ended by the limit, not by the server, whose silence lasts an hour
  CHECK(manifest(dir / "out").at(0).at("attempts") == 2);
}

TEST_CASE("the progress line names the host that sends nothing", "[fetch][cli][stall]") {
  Server s;
  TempDir dir;
  std::ofstream(dir / "list.txt") << s.url("/stall/s2/quiet.bin?size=3000&seed=1&after=1000") << "\n";
  // The progress line is drawn on a terminal only: script(1) gives the run one.
  const std::string command = std::string(CONC_FETCH_EXE) + " --stall-timeout 4 -o " + (dir / "out").string() + " " +
                              (dir / "list.txt").string();
  const pid_t pid = spawn({"/usr/bin/script", "-q", "-e", "-c", command, "/dev/null"}, dir / "tty.txt", dir / "e.txt");
  CHECK(wait_exit(pid) == 0);
  const std::string drawn = slurp(dir / "tty.txt");
  INFO(drawn);
  CHECK(drawn.find("| no data from 127.0.0.1 for 0:0") != std::string::npos);
  CHECK(sha256_of(dir / "out/quiet.bin") == s.digest(3000, 1));
}

TEST_CASE("the validators kept beside a part hash the URL without its password, and the part still resumes",
          "[fetch][cli][secrets]") {
  const std::string engine = GENERATE(as<std::string>(), "threads", "multi");
  INFO("engine " << engine);
  Server s;
  TempDir dir;
  const std::string url = "http://user:pw-part-3Hs@" + s.url("/v/k1/kept.bin?size=200000&seed=4&cut=50000").substr(7);
  const std::string shown = "http://user:***@" + s.url("/v/k1/kept.bin?size=200000&seed=4&cut=50000").substr(7);
  const std::vector<std::string> args = {"-o", (dir / "out").string(), "--no-progress", "--engine", engine};
  std::vector<std::string> once = args;
  once.insert(once.end(), {"--retries", "0"});
  const Result cut = run_fetch(dir, url + "\n", once);
  INFO(cut.err);
  CHECK(cut.exit_code == 1);
  REQUIRE(fs::exists(dir / "out/kept.bin.part.json"));
  const auto validators = nlohmann::json::parse(slurp(dir / "out/kept.bin.part.json"));
  CHECK(validators.at("url_sha256") == sha256_of_bytes(shown));
  CHECK(validators.at("url_sha256") != sha256_of_bytes(url));
  const Result resumed = run_fetch(dir, url + "\n", args);
  INFO(resumed.err);
  CHECK(resumed.exit_code == 0);
  CHECK(sha256_of(dir / "out/kept.bin") == s.digest(200000, 4));
}
