// The --thumbnail hand-off without the imaging code: ThumbnailStage (the bound on bodies held,
// crashes and hangs costing one body) and a whole conc-fetch run whose workers run a stand-in
// task, so that the download/thumbnail concurrency also runs under ThreadSanitizer (whose build
// has no OpenCV).

#include <catch2/catch.hpp>

#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>
#include <vector>

#include "atomic_file.hpp"
#include "cli/options.hpp"
#include "engine/sha256.hpp"
#include "fetch_server.hpp"
#include "run.hpp"
#include "subprocess.hpp"
#include "temp_dir.hpp"
#include "thumbnail/thumbnail_stage.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

// Where the stand-in task notes when it finished each body, if set: "SECONDS\n" a line, on
// CLOCK_MONOTONIC (which steady_clock reads, and the test server's log too).
constexpr const char* kFinishLog = "CONC_TEST_STAND_IN_LOG";

// A stand-in for the thumbnail task: the "thumbnail" is the body itself (written to STEM.jpg, the
// extension a re-run looks for, through the output root's temporaries, or returned), its width the
// body's size. Bodies starting with "crash" or "hang" do what they say, to test how the stage lives
// through a decoder that does.
fetch::ThumbnailReply stand_in_thumbnail(const fetch::ThumbnailRequest& request) {
  const std::string_view body = request.body.view();
  if (body.substr(0, 5) == "crash") ::raise(SIGSEGV);
  if (body.substr(0, 4) == "hang") std::this_thread::sleep_for(60s);
  std::this_thread::sleep_for(2ms);  // long enough for bodies to queue up behind the workers
  fetch::ThumbnailReply reply;
  reply.ok = true;
  reply.sha256 = fetch::sha256_of_bytes(body);
  reply.width = static_cast<int>(body.size());
  reply.height = 1;
  reply.source_width = reply.width;
  reply.source_height = 1;
  reply.extension = ".jpg";
  if (request.output_stem.empty()) {
    reply.encoded = std::string(body);
  } else {
    common::write_atomically(request.output_stem + reply.extension, body,
                             common::Temporaries(request.temporaries_token));
  }
  if (const char* log = std::getenv(kFinishLog); log != nullptr) {
    const double now = std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
    std::ofstream(log, std::ios::app) << std::to_string(now) + "\n" << std::flush;
  }
  return reply;
}
CONC_TASK(stand_in_thumbnail);

fetch::ThumbnailRequest request_of(const std::string& bytes) {
  fetch::ThumbnailRequest r;
  r.body = conc::SharedBuffer::create(bytes.size());
  std::memcpy(r.body.data(), bytes.data(), bytes.size());
  r.body.seal();
  return r;
}

}  // namespace

TEST_CASE("thumbnail stage: never more bodies held than its bound, whatever the producers do", "[thumbnail-stage]") {
  constexpr std::size_t kBound = 3;
  constexpr int kProducers = 4;
  constexpr int kPerProducer = 15;
  std::atomic<int> held{0};  // counted here, independently of the stage's own count
  std::atomic<int> most_held{0};
  std::mutex mutex;
  std::map<std::size_t, conc::Outcome<fetch::ThumbnailReply>> replies;
  fetch::ThumbnailStage stage(
      {.workers = 2, .max_bodies = kBound, .task_timeout = 60s, .task = "stand_in_thumbnail"},
      [&](std::size_t index, conc::Outcome<fetch::ThumbnailReply>&& outcome, fetch::BodySlot&&) {
        held.fetch_sub(1);
        std::lock_guard lock(mutex);
        replies.emplace(index, std::move(outcome));
      });
  std::vector<std::thread> producers;
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back([&, p] {
      for (int i = 0; i < kPerProducer; ++i) {
        while (!stage.acquire_for(50ms)) {
        }
        const int now = held.fetch_add(1) + 1;
        for (int seen = most_held.load(); now > seen && !most_held.compare_exchange_weak(seen, now);) {
        }
        const std::size_t index = static_cast<std::size_t>(p * kPerProducer + i);
        stage.submit(index, request_of(std::string(index + 1, 'x')));
      }
    });
  }
  for (auto& t : producers) t.join();
  stage.finish();
  // The test's own count of bodies held (from its acquire to its reply) is never above the bound,
  // and the stage's count of them never below the test's.
  CHECK(most_held.load() <= static_cast<int>(kBound));
  CHECK(most_held.load() >= 1);
  CHECK(stage.peak_held() >= static_cast<std::size_t>(most_held.load()));
  REQUIRE(replies.size() == kProducers * kPerProducer);
  for (const auto& [index, outcome] : replies) {
    REQUIRE(outcome.ok());
    CHECK(outcome->encoded == std::string(index + 1, 'x'));
    CHECK(outcome->width == static_cast<int>(index + 1));
  }
}

TEST_CASE("thumbnail stage: a full stage refuses a new body until one is done", "[thumbnail-stage]") {
  fetch::ThumbnailStage stage({.workers = 1, .max_bodies = 2, .task_timeout = 60s, .task = "stand_in_thumbnail"},
                              [](std::size_t, conc::Outcome<fetch::ThumbnailReply>&&, fetch::BodySlot&&) {});
  REQUIRE(stage.try_acquire());
  REQUIRE(stage.try_acquire());
  CHECK_FALSE(stage.try_acquire());
  CHECK_FALSE(stage.acquire_for(100ms));
  stage.release();
  CHECK(stage.try_acquire());
  stage.release();
  stage.release();
}

TEST_CASE("thumbnail stage: a crashing or hanging task costs its own body only", "[thumbnail-stage]") {
  std::mutex mutex;
  std::map<std::size_t, conc::Outcome<fetch::ThumbnailReply>> replies;
  fetch::ThumbnailStage stage(
      {.workers = 2, .max_bodies = 8, .task_timeout = 3s, .task = "stand_in_thumbnail"},
      [&](std::size_t index, conc::Outcome<fetch::ThumbnailReply>&& outcome, fetch::BodySlot&&) {
        std::lock_guard lock(mutex);
        replies.emplace(index, std::move(outcome));
      });
  const std::vector<std::string> bodies = {"good one", "crash here", "good two", "hang here", "good three"};
  for (std::size_t i = 0; i < bodies.size(); ++i) {
    REQUIRE(stage.acquire_for(10s));
    stage.submit(i, request_of(bodies[i]));
  }
  // The stage goes on after both: one more body, then everything is done.
  REQUIRE(stage.acquire_for(30s));
  stage.submit(bodies.size(), request_of("good after"));
  stage.finish();
  REQUIRE(replies.size() == bodies.size() + 1);
  for (std::size_t i : {0u, 2u, 4u, 5u}) {
    INFO(i);
    REQUIRE(replies.at(i).ok());
    CHECK(replies.at(i)->ok);
  }
  REQUIRE_FALSE(replies.at(1).ok());
  CHECK(replies.at(1).error().what.find("killed by SIGSEGV") != std::string::npos);
  REQUIRE_FALSE(replies.at(3).ok());
  CHECK(replies.at(3).error().what.find("timed out") != std::string::npos);
}

TEST_CASE("conc-fetch --thumbnail pipeline with a stand-in task: every body thumbnailed once, bounded",
          "[thumbnail-stage][server]") {
  const auto engine = GENERATE(fetch::Engine::Threads, fetch::Engine::Multi);
  INFO((engine == fetch::Engine::Threads ? "threads" : "multi"));
  test_support::FetchServer server(CONC_FETCH_TEST_SERVER);
  TempDir dir;
  constexpr int kFiles = 40;
  std::ostringstream list;
  for (int i = 0; i < kFiles; ++i) {
    list << server.url("/file/f" + std::to_string(i) + ".dat?size=" + std::to_string(1000 + 7919 * i) +
                       "&seed=" + std::to_string(i))
         << "\n";
  }
  list << server.url("/status/404") << "\n";
  std::ofstream(dir / "list.txt") << list.str();
  fetch::Options o;
  o.list = (dir / "list.txt").string();
  o.out = (dir / "out").string();
  o.jobs = 4;
  o.engine = engine;
  o.progress = false;
  o.thumbnail.enabled = true;
  o.thumbnail.task = "stand_in_thumbnail";
  o.thumbnail.workers = 2;
  o.transfer.max_size = 1 << 20;
  std::istringstream no_input;
  std::ostringstream out;
  std::ostringstream err;
  const fs::path finish_log = dir / "finished.txt";
  ::setenv(kFinishLog, finish_log.c_str(), 1);  // read by the workers the run spawns
  const int code = fetch::run(o, no_input, out, err);
  ::unsetenv(kFinishLog);
  INFO(err.str());
  CHECK(code == 1);  // the 404
  std::map<std::string, nlohmann::json> lines;
  std::ifstream in(dir / "out" / ".conc-fetch.jsonl");
  for (std::string line; std::getline(in, line);) {
    const auto j = nlohmann::json::parse(line);
    lines[j.at("url").get<std::string>()] = j;
  }
  REQUIRE(lines.size() == kFiles + 1);
  for (int i = 0; i < kFiles; ++i) {
    const std::string query = "size=" + std::to_string(1000 + 7919 * i) + "&seed=" + std::to_string(i);
    const auto& j = lines.at(server.url("/file/f" + std::to_string(i) + ".dat?" + query));
    INFO(j.dump());
    REQUIRE(j.at("status") == "ok");
    CHECK(j.at("thumbnail") == "f" + std::to_string(i) + ".jpg");
    CHECK(j.at("width") == 1000 + 7919 * i);
    CHECK(j.at("source_bytes") == 1000 + 7919 * i);
    const std::string digest = server.get("/digest?" + query);
    CHECK(j.at("sha256") == digest);
    CHECK(fetch::sha256_of_file(dir / "out" / ("f" + std::to_string(i) + ".jpg")) == digest);
    CHECK_FALSE(fs::exists(dir / "out" / ("f" + std::to_string(i) + ".dat")));  // no full-size file
    CHECK(server.hits("/file/f" + std::to_string(i) + ".dat") == 1);
  }
  const auto& failed = lines.at(server.url("/status/404"));
  CHECK(failed.at("status") == "failed");
  CHECK(failed.at("error") == "HTTP 404");
  const auto stats = nlohmann::json::parse(test_support::slurp(dir / "out" / "stats.json"));
  INFO(stats.dump());
  CHECK(stats.at("urls").at("ok") == kFiles);
  CHECK(stats.at("urls").at("failed") == 1);
  CHECK(stats.at("errors").at("http_404") == 1);
  CHECK(stats.at("max_bodies_held") == 4 + 2 * 2);
  // Bodies held, counted apart from the stage: a body is held at least from its request's arrival at
  // the server to the end of its thumbnail in the worker. The most at once, so counted, is a floor
  // under the stage's own peak, and never above the bound.
  std::vector<std::pair<double, int>> events;
  for (const auto& request : server.requests("/file/")) events.emplace_back(request.at("t").get<double>(), +1);
  std::istringstream finished(test_support::slurp(finish_log));
  for (std::string line; std::getline(finished, line);) events.emplace_back(std::stod(line), -1);
  REQUIRE(events.size() == 2 * kFiles);
  std::sort(events.begin(), events.end());  // a finish at the same instant as an arrival counts first
  int held = 0;
  int most = 0;
  for (const auto& [when, change] : events) most = std::max(most, held += change);
  CHECK(most >= 1);
  CHECK(most <= stats.at("max_bodies_held").get<int>());
  CHECK(most <= stats.at("peak_bodies_held").get<int>());
}

namespace {

// A --thumbnail run with the stand-in task, in this process; its exit code and what it said.
std::pair<int, std::string> stand_in_run(const TempDir& dir, const std::vector<std::string>& urls,
                                         fetch::OutputFormat output = fetch::OutputFormat::Files) {
  std::ofstream list(dir / "list.txt");
  for (const auto& u : urls) list << u << "\n";
  list.close();
  fetch::Options o;
  o.list = (dir / "list.txt").string();
  o.out = (dir / "out").string();
  o.jobs = 2;
  o.progress = false;
  o.thumbnail.enabled = true;
  o.thumbnail.task = "stand_in_thumbnail";
  o.thumbnail.workers = 1;
  o.thumbnail.output = output;
  o.transfer.max_size = 1 << 20;
  std::istringstream no_input;
  std::ostringstream out;
  std::ostringstream err;
  const int code = fetch::run(o, no_input, out, err);
  return {code, err.str()};
}

}  // namespace

TEST_CASE(
    "conc-fetch --thumbnail: a thumbnail's record vouches for it only while no other URL's thumbnail took its name",
    "[thumbnail-stage][server]") {
  test_support::FetchServer server(CONC_FETCH_TEST_SERVER);
  TempDir dir;
  // Two URLs whose thumbnails get one stem (x), of the same size.
  const std::string a = server.url("/file/a/x.dat?size=3000&seed=1");
  const std::string b = server.url("/file/b/x.dat?size=3000&seed=2");
  {
    const auto [code, err] = stand_in_run(dir, {a, b});
    INFO(err);
    REQUIRE(code == 0);
  }
  CHECK(fetch::sha256_of_file(dir / "out/x.jpg") == server.digest(3000, 1));
  CHECK(fetch::sha256_of_file(dir / "out/x.1.jpg") == server.digest(3000, 2));
  {
    const auto [code, err] = stand_in_run(dir, {b});  // b alone: its thumbnail is x.jpg
    INFO(err);
    REQUIRE(code == 0);
  }
  CHECK(fetch::sha256_of_file(dir / "out/x.jpg") == server.digest(3000, 2));
  const auto [code, err] = stand_in_run(dir, {a, b});
  INFO(err);
  CHECK(code == 0);
  CHECK(err.find("1 thumbnailed, 1 skipped, 0 failed") != std::string::npos);
  CHECK(fetch::sha256_of_file(dir / "out/x.jpg") == server.digest(3000, 1));
  CHECK(server.hits("/file/a/x.dat") == 2);
  CHECK(server.hits("/file/b/x.dat") == 2);
}

TEST_CASE("conc-fetch --output-format webdataset: a sample counts as done only while its tar is the one recorded",
          "[thumbnail-stage][server]") {
  test_support::FetchServer server(CONC_FETCH_TEST_SERVER);
  TempDir dir;
  const std::vector<std::string> urls = {server.url("/file/p.dat?size=3000&seed=1"),
                                         server.url("/file/q.dat?size=4000&seed=2")};
  {
    const auto [code, err] = stand_in_run(dir, urls, fetch::OutputFormat::WebDataset);
    INFO(err);
    REQUIRE(code == 0);
  }
  {
    const auto [code, err] = stand_in_run(dir, urls, fetch::OutputFormat::WebDataset);
    INFO(err);
    CHECK(err.find("0 thumbnailed, 2 skipped, 0 failed") != std::string::npos);
  }
  // Another tar under the recorded tar's name: its records vouch for nothing in it.
  REQUIRE(fs::exists(dir / "out/00000.tar"));
  std::ofstream(dir / "out/00000.tar", std::ios::binary | std::ios::trunc) << std::string(10240, '\0');
  const auto [code, err] = stand_in_run(dir, urls, fetch::OutputFormat::WebDataset);
  INFO(err);
  CHECK(code == 0);
  CHECK(err.find("2 thumbnailed, 0 skipped, 0 failed") != std::string::npos);
  CHECK(fs::exists(dir / "out/00001.tar"));
  CHECK(server.hits("/file/p.dat") == 2);
}

TEST_CASE("a slow tar writer holds the downloads back, never the workers' results: no thumbnail times out",
          "[thumbnail-stage][server]") {
  test_support::FetchServer server(CONC_FETCH_TEST_SERVER);
  TempDir dir;
  constexpr int kFiles = 10;
  std::ostringstream list;
  for (int i = 0; i < kFiles; ++i) {
    list << server.url("/file/t" + std::to_string(i) + ".dat?size=" + std::to_string(2000 + i) +
                       "&seed=" + std::to_string(i))
         << "\n";
  }
  std::ofstream(dir / "list.txt") << list.str();
  fetch::Options o;
  o.list = (dir / "list.txt").string();
  o.out = (dir / "out").string();
  o.jobs = 2;
  o.progress = false;
  o.thumbnail.enabled = true;
  o.thumbnail.task = "stand_in_thumbnail";
  o.thumbnail.workers = 2;
  o.thumbnail.output = fetch::OutputFormat::WebDataset;
  o.thumbnail.samples_per_tar = 4;
  // Each sample takes the writer longer than a thumbnail may take: a hand-off that waited for the
  // writer on the pool's manager thread would leave finished thumbnails unread past their timeout.
  o.thumbnail.timeout = 1s;
  o.thumbnail.tar_write_delay = 1500ms;
  std::istringstream no_input;
  std::ostringstream out;
  std::ostringstream err;
  const int code = fetch::run(o, no_input, out, err);
  INFO(err.str());
  CHECK(code == 0);
  CHECK(err.str().find("timed out") == std::string::npos);
  std::ifstream in(dir / "out" / ".conc-fetch.jsonl");
  int ok = 0;
  for (std::string line; std::getline(in, line);) ok += nlohmann::json::parse(line).at("status") == "ok";
  CHECK(ok == kFiles);
  const auto stats = nlohmann::json::parse(test_support::slurp(dir / "out" / "stats.json"));
  INFO(stats.dump());
  CHECK(stats.at("errors").empty());
  CHECK(stats.at("peak_bodies_held").get<int>() <= stats.at("max_bodies_held").get<int>());
}

TEST_CASE("conc-fetch --thumbnail: no password of a URL reaches the manifest, stats.json or the tars' samples",
          "[thumbnail-stage][server][secrets]") {
  test_support::FetchServer server(CONC_FETCH_TEST_SERVER);
  TempDir dir;
  const std::string secret = "pw-tar-9Kd";
  std::ostringstream list;
  for (int i = 0; i < 3; ++i) {
    list << "http://user:" << secret << "@"
         << server.url("/file/s" + std::to_string(i) + ".dat?size=1000&seed=" + std::to_string(i)).substr(7) << "\n";
  }
  list << "http://user:" << secret << "@" << server.url("/status/404").substr(7) << "\n";
  std::ofstream(dir / "list.txt") << list.str();
  fetch::Options o;
  o.list = (dir / "list.txt").string();
  o.out = (dir / "out").string();
  o.jobs = 2;
  o.progress = false;
  o.verbose = true;
  o.thumbnail.enabled = true;
  o.thumbnail.task = "stand_in_thumbnail";
  o.thumbnail.workers = 1;
  o.thumbnail.output = fetch::OutputFormat::WebDataset;
  std::istringstream no_input;
  std::ostringstream out;
  std::ostringstream err;
  CHECK(fetch::run(o, no_input, out, err) == 1);  // the 404
  CHECK(err.str().find("error: http://user:***@127.0.0.1:") != std::string::npos);
  CHECK(err.str().find(secret) == std::string::npos);
  CHECK(out.str().find(secret) == std::string::npos);
  const std::string tar = test_support::slurp(dir / "out" / "00000.tar");
  CHECK(tar.find("\"url\":\"http://user:***@127.0.0.1:") != std::string::npos);  // a sample's KEY.json
  int files = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir / "out")) {
    if (!e.is_regular_file()) continue;
    ++files;
    INFO(e.path());
    CHECK(test_support::slurp(e.path()).find(secret) == std::string::npos);
  }
  CHECK(files >= 3);  // the manifest, stats.json, the tar
}
