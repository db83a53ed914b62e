#include <catch2/catch.hpp>
#include <conc/fd.hpp>
#include <conc/process_pool.hpp>
#include <conc/shared_buffer.hpp>
#include <conc/unhandled.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "../support/processes.hpp"
#include "../support/unhandled_log.hpp"

using namespace std::chrono_literals;
namespace fs = std::filesystem;

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
constexpr int kManyTasks = 20'000;
#else
constexpr int kManyTasks = 100'000;
#endif

// ---- tasks, registered in this program and so in its workers ---------------------------------

namespace {

std::string echo(std::string s) { return s; }
CONC_TASK(echo);

int square(int x) { return x * x; }
CONC_TASK(square);

int crash_segv(int x) {
  // A real fault on a page mapped without access: no null pointer for the compiler to drop as
  // undefined behaviour, or for UBSan to report instead of crashing.
  void* page = ::mmap(nullptr, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  *static_cast<volatile int*>(page) = x;
  return x;
}
CONC_TASK(crash_segv);

int crash_abort(int) { std::abort(); }
CONC_TASK(crash_abort);

int call_exit(int) { std::exit(3); }
CONC_TASK(call_exit);

int hang(int) {
  for (;;) std::this_thread::sleep_for(1s);
}
CONC_TASK(hang);

int throws(int x) { throw std::runtime_error("bad input " + std::to_string(x)); }
CONC_TASK(throws);

int throws_if_odd(int x) {
  if (x % 2 != 0) throw std::runtime_error("odd");
  return x;
}
CONC_TASK(throws_if_odd);

int my_pid(int) { return static_cast<int>(::getpid()); }
CONC_TASK(my_pid);

int sleep_ms(int ms) {
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  return static_cast<int>(::getpid());
}
CONC_TASK(sleep_ms);

// Crashes the first time (it leaves a marker file), succeeds on the retry.
std::string crash_once(std::string marker) {
  if (!fs::exists(marker)) {
    std::ofstream(marker) << "ran";
    crash_segv(1);
  }
  return "second time lucky";
}
CONC_TASK(crash_once);

// Writes its pid to a file and waits to be killed; on a later attempt returns at once.
std::string pid_then_wait(std::string path) {
  if (fs::exists(path)) return "retried";
  std::ofstream(path + ".tmp") << ::getpid();
  fs::rename(path + ".tmp", path);
  std::this_thread::sleep_for(30s);
  return "not killed";
}
CONC_TASK(pid_then_wait);

std::string stderr_line(std::string text) {
  std::fprintf(stderr, "%s\n", text.c_str());
  std::fflush(stderr);
  return text;
}
CONC_TASK(stderr_line);

std::string g_initialized;
int init_worker(std::string value) {
  if (value == "fail") throw std::runtime_error("cannot open the model");
  g_initialized = value;
  return 0;
}
CONC_TASK(init_worker);

std::string read_init(int) { return g_initialized; }
CONC_TASK(read_init);

// Writes bytes that are not a valid frame on the worker's channel (fd 3), then waits to be killed.
int send_garbage(int kind) {
  std::string bytes;
  auto put_u32 = [&](std::uint32_t v) { bytes.append(reinterpret_cast<const char*>(&v), sizeof v); };
  if (kind == 0) {
    put_u32(0xFFFFFFF0u);  // a size far over any cap
  } else if (kind == 1) {
    put_u32(5);  // a Result frame cut short after its kind
    bytes += std::string("\x0b\x01\x00\x00\x00", 5);
  } else {
    put_u32(1);  // a frame of an unknown kind
    bytes += '\x63';
  }
  [[maybe_unused]] auto n = ::write(3, bytes.data(), bytes.size());
  std::this_thread::sleep_for(60s);
  return kind;
}
CONC_TASK(send_garbage);

// Makes its worker slow to exit: when the pool closes its channel, exit() sleeps first.
int g_exit_delay_ms = 0;
int slow_exit(int ms) {
  g_exit_delay_ms = ms;
  std::atexit([] { std::this_thread::sleep_for(std::chrono::milliseconds(g_exit_delay_ms)); });
  return static_cast<int>(::getpid());
}
CONC_TASK(slow_exit);

std::string bytes_of(int n) { return std::string(static_cast<std::size_t>(n), 'x'); }
CONC_TASK(bytes_of);

// FNV-1a of a buffer's bytes: the worker reads the caller's memory, nothing was copied.
std::uint64_t fnv1a(std::string_view bytes) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : bytes) h = (h ^ c) * 1099511628211ull;
  return h;
}
std::uint64_t checksum(conc::SharedBuffer buffer) { return fnv1a(buffer.view()); }
CONC_TASK(checksum);

// A buffer made in the worker and handed back: n bytes of a pattern, sealed.
conc::SharedBuffer make_buffer(int n) {
  auto buffer = conc::SharedBuffer::create(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) buffer.data()[i] = static_cast<std::byte>(i % 251);
  buffer.seal();
  return buffer;
}
CONC_TASK(make_buffer);

std::uint64_t crash_holding(conc::SharedBuffer buffer) {
  if (!buffer.view().empty() && buffer.view()[0] == 'X') crash_segv(1);
  return fnv1a(buffer.view());
}
CONC_TASK(crash_holding);

// ---- helpers ---------------------------------------------------------------------------------

template <class T>
std::string failure_of(const conc::Future<T>& f) {
  try {
    f.get();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "(no failure)";
}

bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return condition();
}

struct TempDir {
  fs::path path;
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "conc-test-XXXXXX").string();
    path = ::mkdtemp(pattern.data());
  }
  ~TempDir() { fs::remove_all(path); }
};

}  // namespace

// ---- results ---------------------------------------------------------------------------------

TEST_CASE("process pool runs registered tasks in other processes", "[process_pool]") {
  conc::ProcessPool pool({.workers = 2});
  CHECK(pool.submit<echo>(std::string("hello")).get() == "hello");
  CHECK(pool.submit<square>(12).get() == 144);
  const int worker = pool.submit<my_pid>(0).get();
  CHECK(worker != ::getpid());
  const auto pids = pool.worker_pids();
  CHECK(std::find(pids.begin(), pids.end(), worker) != pids.end());
}

TEST_CASE("map returns outcomes in input order, with or without chunks", "[process_pool]") {
  conc::ProcessPool pool({.workers = 2});
  std::vector<int> inputs(500);
  std::iota(inputs.begin(), inputs.end(), 0);
  for (std::size_t chunk : {1u, 7u, 100u}) {
    auto out = pool.map<square>(inputs, chunk);
    REQUIRE(out.size() == inputs.size());
    for (std::size_t i = 0; i < out.size(); ++i) REQUIRE(*out[i] == inputs[i] * inputs[i]);
  }
}

TEST_CASE("imap_unordered delivers every outcome with its index", "[process_pool]") {
  conc::ProcessPool pool({.workers = 2});
  std::vector<std::string> inputs;
  for (int i = 0; i < 300; ++i)
    inputs.push_back(std::string(static_cast<std::size_t>(i % 50), 'x') + std::to_string(i));
  std::map<std::size_t, std::string> got;
  pool.imap_unordered<echo>(
      inputs, [&](std::size_t i, conc::Outcome<std::string> r) { got[i] = r.value(); }, 8);
  REQUIRE(got.size() == inputs.size());
  for (std::size_t i = 0; i < inputs.size(); ++i) CHECK(got[i] == inputs[i]);
}

TEST_CASE("many tiny tasks arrive intact", "[process_pool][stress]") {
  conc::ProcessPool pool({.workers = 2});
  std::vector<std::string> inputs;
  for (int i = 0; i < kManyTasks; ++i)
    inputs.push_back(std::to_string(i) + std::string(90, static_cast<char>('a' + i % 26)));
  auto singles = pool.map<echo>(inputs);
  auto chunked = pool.map<echo>(inputs, 500);
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    REQUIRE(*singles[i] == inputs[i]);
    REQUIRE(*chunked[i] == inputs[i]);
  }
}

TEST_CASE("stats() taken once a task's future is ready counts that task", "[process_pool]") {
  conc::ProcessPool pool({.workers = 2});
  std::uint64_t ran = 0, failed = 0;
  for (int round = 0; round < 20; ++round) {
    auto out = pool.map<throws_if_odd>(std::vector<int>{0, 1, 2, 3, 4});
    ran += out.size();
    failed += 2;
    const conc::ProcessPoolStats stats = pool.stats();
    CHECK(stats.completed == ran);
    CHECK(stats.failed == failed);
  }
}

TEST_CASE("an exception in a task fails only that task and keeps the worker", "[process_pool]") {
  conc::ProcessPool pool({.workers = 1});
  CHECK(failure_of(pool.submit<throws>(7)) == "bad input 7");
  CHECK(pool.submit<square>(3).get() == 9);
  CHECK(pool.stats().spawned == 1);
  CHECK(pool.stats().worker_deaths == 0);
}

TEST_CASE("an unknown task name is reported", "[process_pool]") {
  conc::ProcessPool pool({.workers = 1});
  auto f = pool.submit_raw("no_such_task", "");
  CHECK_THROWS_WITH(f.get(), Catch::Contains("unknown task 'no_such_task'"));
}

// ---- faults ----------------------------------------------------------------------------------

TEST_CASE("a segfaulting task fails alone and its worker is replaced", "[process_pool][faults]") {
  conc::ProcessPool pool({.workers = 2, .retries = 0});
  std::vector<conc::Future<int>> good;
  for (int i = 0; i < 20; ++i) good.push_back(pool.submit<square>(i));
  auto bad = pool.submit<crash_segv>(1);
  for (int i = 20; i < 40; ++i) good.push_back(pool.submit<square>(i));
  CHECK(failure_of(bad) == "worker killed by SIGSEGV");
  for (int i = 0; i < 40; ++i) CHECK(good[static_cast<std::size_t>(i)].get() == i * i);
  // Once, or twice when it shared a batch and was rerun alone to find the culprit.
  CHECK(pool.stats().worker_deaths >= 1);
  CHECK(pool.stats().worker_deaths <= 2);
  CHECK(wait_until([&] { return pool.worker_pids().size() == 2; }, 5s));
}

TEST_CASE("abort, exit and a crash retried are each reported with their cause", "[process_pool][faults]") {
  conc::ProcessPool pool({.workers = 2});  // one retry by default
  auto aborted = pool.submit<crash_abort>(0);
  auto exited = pool.submit<call_exit>(0);
  auto crashed = pool.submit<crash_segv>(0);
  CHECK(failure_of(aborted) == "worker killed by SIGABRT (2 attempts)");
  CHECK(failure_of(exited) == "worker exited with status 3 (2 attempts)");
  CHECK(failure_of(crashed) == "worker killed by SIGSEGV (2 attempts)");
  CHECK(pool.stats().retried == 3);
  CHECK(pool.submit<square>(5).get() == 25);
}

TEST_CASE("a task that crashes once succeeds on its retry", "[process_pool][faults]") {
  TempDir dir;
  conc::ProcessPool pool({.workers = 1, .retries = 1});
  auto f = pool.submit<crash_once>((dir.path / "marker").string());
  CHECK(f.get() == "second time lucky");
  CHECK(pool.stats().worker_deaths == 1);
}

TEST_CASE("a hanging task times out and the rest complete", "[process_pool][faults]") {
  conc::ProcessPool pool({.workers = 2, .task_timeout = 300ms});
  auto stuck = pool.submit<hang>(0);
  std::vector<conc::Future<int>> good;
  for (int i = 0; i < 10; ++i) good.push_back(pool.submit<sleep_ms>(20));
  const auto start = std::chrono::steady_clock::now();
  CHECK(failure_of(stuck) == "timed out after 0.3 s");
  CHECK(std::chrono::steady_clock::now() - start < 5s);
  for (auto& f : good) CHECK(f.get() > 0);
  CHECK(pool.stats().timeouts == 1);
}

TEST_CASE("a worker killed from outside fails or retries its task", "[process_pool][faults]") {
  for (unsigned retries : {0u, 1u}) {
    TempDir dir;
    const std::string path = (dir.path / "pid").string();
    conc::ProcessPool pool({.workers = 2, .retries = retries});
    auto victim = pool.submit<pid_then_wait>(path);
    auto other = pool.submit<sleep_ms>(50);
    REQUIRE(wait_until([&] { return fs::exists(path); }, 10s));
    std::ifstream in(path);
    int pid = 0;
    in >> pid;
    REQUIRE(pid > 0);
    REQUIRE(::kill(pid, SIGKILL) == 0);
    if (retries == 0) {
      CHECK_THROWS_WITH(victim.get(), "worker killed by SIGKILL");
    } else {
      CHECK(victim.get() == "retried");
    }
    CHECK(other.get() > 0);
  }
}

TEST_CASE("a batch whose worker died is rerun one task at a time", "[process_pool][faults]") {
  conc::ProcessPool pool({.workers = 2, .retries = 0});
  // Warm up with tiny tasks so the pool starts coalescing them into batches.
  pool.map<square>(std::vector<int>(2000, 3));
  std::vector<int> inputs(200);
  std::iota(inputs.begin(), inputs.end(), 0);
  std::vector<conc::Future<int>> futures;
  for (int x : inputs) futures.push_back(x == 123 ? pool.submit<crash_segv>(x) : pool.submit<square>(x));
  int failed = 0;
  for (std::size_t i = 0; i < futures.size(); ++i) {
    if (i == 123) {
      CHECK(failure_of(futures[i]) == "worker killed by SIGSEGV");
      ++failed;
    } else {
      CHECK(futures[i].get() == inputs[i] * inputs[i]);
    }
  }
  CHECK(failed == 1);
}

TEST_CASE("a run with many crashing tasks loses exactly those", "[process_pool][faults]") {
  conc::ProcessPool pool({.workers = 2, .retries = 0});
  std::vector<int> inputs(60);
  std::iota(inputs.begin(), inputs.end(), 0);
  int ok = 0;
  int failed = 0;
  std::vector<conc::Future<int>> futures;
  for (int x : inputs) futures.push_back(x % 6 == 0 ? pool.submit<crash_segv>(x) : pool.submit<square>(x));
  for (auto& f : futures) (f.failed() ? failed : ok)++;
  CHECK(failed == 10);
  CHECK(ok == 50);
}

// ---- options ---------------------------------------------------------------------------------

TEST_CASE("the initializer runs in every worker", "[process_pool]") {
  conc::ProcessPool pool({.workers = 2, .initializer = conc::task_call<init_worker>(std::string("ready"))});
  for (int i = 0; i < 10; ++i) CHECK(pool.submit<read_init>(0).get() == "ready");
}

TEST_CASE("a failing initializer fails the tasks instead of hanging", "[process_pool]") {
  conc::ProcessPool pool({.workers = 2, .initializer = conc::task_call<init_worker>(std::string("fail"))});
  auto f = pool.submit<square>(2);
  REQUIRE(f.wait_for(10s));
  CHECK(failure_of(f) == "worker initializer failed: cannot open the model");
  CHECK(failure_of(pool.submit<square>(3)) == "worker initializer failed: cannot open the model");
}

TEST_CASE("max_tasks_per_child recycles workers", "[process_pool]") {
  conc::ProcessPool pool({.workers = 2, .max_tasks_per_child = 3});
  std::vector<int> zeros(30, 0);
  auto pids = pool.map<my_pid>(zeros);
  std::map<int, int> per_worker;
  for (auto& p : pids) ++per_worker[*p];
  for (auto& [pid, n] : per_worker) CHECK(n <= 3);
  CHECK(per_worker.size() >= 10);
  CHECK(pool.stats().spawned >= 10);
}

TEST_CASE("submit blocks beyond max_in_flight", "[process_pool]") {
  conc::ProcessPool pool({.workers = 1, .max_in_flight = 2});
  auto a = pool.submit<sleep_ms>(300);
  auto b = pool.submit<sleep_ms>(300);
  const auto start = std::chrono::steady_clock::now();
  auto c = pool.submit<sleep_ms>(1);
  CHECK(std::chrono::steady_clock::now() - start >= 200ms);
  CHECK(c.get() > 0);
}

TEST_CASE("shutdown(Cancel) fails queued and running tasks at once", "[process_pool]") {
  conc::ProcessPool pool({.workers = 2});
  std::vector<conc::Future<int>> futures;
  for (int i = 0; i < 10; ++i) futures.push_back(pool.submit<sleep_ms>(3000));
  std::this_thread::sleep_for(100ms);
  const auto start = std::chrono::steady_clock::now();
  pool.shutdown(conc::Shutdown::Cancel);
  CHECK(std::chrono::steady_clock::now() - start < 2s);
  for (auto& f : futures) CHECK(failure_of(f) == "cancelled: pool shut down");
  CHECK(pool.worker_pids().empty());
  CHECK(failure_of(pool.submit<square>(1)) == "cancelled: pool shut down");
}

TEST_CASE("shutdown(Drain) finishes every queued task", "[process_pool]") {
  std::vector<conc::Future<int>> futures;
  {
    conc::ProcessPool pool({.workers = 2});
    for (int i = 0; i < 20; ++i) futures.push_back(pool.submit<sleep_ms>(10));
  }
  for (auto& f : futures) CHECK(f.get() > 0);
}

// ---- hygiene ---------------------------------------------------------------------------------

TEST_CASE("no zombie and no leaked descriptor after the pool, crashes included", "[process_pool][hygiene]") {
  const std::size_t fds_before = open_fds();
  std::vector<pid_t> seen;
  {
    conc::ProcessPool pool({.workers = 2, .max_tasks_per_child = 5, .retries = 0});
    for (int i = 0; i < 20; ++i) static_cast<void>(pool.submit<square>(i));
    failure_of(pool.submit<crash_segv>(0));
    seen = pool.worker_pids();
  }
  CHECK(open_fds() == fds_before);
  int status = 0;
  CHECK(::waitpid(-1, &status, WNOHANG) == -1);
  CHECK(errno == ECHILD);
  for (pid_t pid : seen) CHECK(process_gone(pid));
}

TEST_CASE("workers die with a parent killed by SIGKILL", "[process_pool][hygiene]") {
  const std::vector<pid_t> workers = children_of_killed_helper("--orphan-helper", 2);
  REQUIRE(workers.size() == 2);
  for (pid_t pid : workers) CHECK(wait_until([&] { return process_gone(pid); }, 10s));
}

TEST_CASE("worker stderr arrives whole and prefixed", "[process_pool]") {
  TempDir dir;
  const std::string log = (dir.path / "stderr.txt").string();
  const int saved = ::dup(STDERR_FILENO);
  const int file = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  REQUIRE(file >= 0);
  ::dup2(file, STDERR_FILENO);
  std::vector<pid_t> pids;
  {
    conc::ProcessPool pool({.workers = 2});
    std::vector<std::string> lines;
    for (int i = 0; i < 50; ++i) lines.push_back("line " + std::to_string(i) + " " + std::string(200, 'z'));
    pool.map<stderr_line>(lines);
  }
  ::dup2(saved, STDERR_FILENO);
  ::close(saved);
  ::close(file);
  std::ifstream in(log);
  std::set<std::string> got;
  for (std::string line; std::getline(in, line);) {
    if (line.find("line ") == std::string::npos) continue;  // sanitizer chatter, if any
    REQUIRE(line.rfind("[worker ", 0) == 0);
    const auto body = line.substr(line.find("] ") + 2);
    CHECK(body.size() == body.find(' ', 5) + 201);
    got.insert(body.substr(0, body.find(' ', 5)));
  }
  CHECK(got.size() == 50);
}

// ---- nothing a worker or a callback does stops the pool -----------------------------------------

TEST_CASE("a worker that sends a malformed frame costs its task, not the pool", "[process_pool][faults]") {
  conc::ProcessPool pool({.workers = 2, .retries = 0});
  for (int kind = 0; kind < 3; ++kind) {
    INFO("kind " << kind);
    const std::string why = failure_of(pool.submit<send_garbage>(kind));
    CHECK(why.rfind("worker sent a malformed frame", 0) == 0);
    CHECK(pool.submit<square>(kind + 3).get() == (kind + 3) * (kind + 3));
  }
  CHECK(failure_of(pool.submit<send_garbage>(0)).find("over the cap") != std::string::npos);
  CHECK(pool.stats().worker_deaths == 4);
  CHECK(pool.map<square>(std::vector<int>{1, 2, 3}).size() == 3);
}

TEST_CASE("a completion callback that throws is reported and the pool goes on", "[process_pool][faults]") {
  UnhandledLog log;
  conc::ProcessPool pool({.workers = 1});
  conc::Event called;
  pool.submit_raw(conc::task_name<square>(), conc::encode(2), [&](conc::Outcome<conc::Message>&&) {
    called.set();
    throw std::runtime_error("callback bug");
  });
  REQUIRE(called.wait_for(30s));
  CHECK(pool.submit<square>(5).get() == 25);
  CHECK(log.lines() == std::vector<std::string>{"a process pool completion: callback bug"});
}

TEST_CASE("a worker that cannot be started fails the tasks that needed it", "[process_pool][faults]") {
  conc::ProcessPool pool({.workers = 2, .executable = "/nonexistent/conc-worker"});
  const std::string why = failure_of(pool.submit<square>(3));
  CHECK(why.find("cannot start a worker") != std::string::npos);
  CHECK(why.find("No such file or directory") != std::string::npos);
  CHECK(why.find("/nonexistent/conc-worker") != std::string::npos);
  CHECK(failure_of(pool.submit<square>(4)).find("cannot start a worker") != std::string::npos);
}

TEST_CASE("running out of descriptors fails the task with EMFILE, and the pool recovers",
          "[process_pool][faults][fd-limit]") {
  const auto fillers = fill_descriptor_holes();
  FileLimit limit(static_cast<rlim_t>(highest_open_fd()) + 2);  // room for the pool's eventfd alone
  REQUIRE(limit.ok());
  conc::ProcessPool pool({.workers = 1});
  const std::string why = failure_of(pool.submit<square>(3));
  limit.restore();
  CHECK(why.find("cannot start a worker") != std::string::npos);
  CHECK(why.find("Too many open files") != std::string::npos);
  CHECK(pool.submit<square>(6).get() == 36);
}

TEST_CASE("a failing poll breaks the pool with the reason instead of terminating", "[process_pool][faults][fd-limit]") {
  conc::ProcessPool pool({.workers = 2});
  CHECK(pool.submit<square>(2).get() == 4);
  std::string why;
  {
    FileLimit limit(3);  // poll(2) refuses more descriptors than RLIMIT_NOFILE: EINVAL
    REQUIRE(limit.ok());
    why = failure_of(pool.submit<square>(3));
  }
  CHECK(why.find("process pool failed: poll") != std::string::npos);
  CHECK(failure_of(pool.submit<square>(4)).find("process pool failed") != std::string::npos);
}

TEST_CASE("messages over the cap are refused with the reason", "[process_pool][faults]") {
  conc::ProcessPool pool({.workers = 1, .max_message_bytes = 64 * 1024});
  CHECK(failure_of(pool.submit_raw(conc::task_name<echo>(), std::string(100 * 1024, 'p')))
            .find("task payload of 102400 bytes is over the pool's message cap") != std::string::npos);
  CHECK(failure_of(pool.submit<bytes_of>(100 * 1024)).find("task result of") != std::string::npos);
  CHECK(pool.submit<bytes_of>(1000).get().size() == 1000);
}

TEST_CASE("a worker slow to exit delays no other worker's next task", "[process_pool][faults]") {
  conc::ProcessPool pool({.workers = 2, .max_tasks_per_child = 1, .exit_grace = 120s});
  // Its worker retires after this task and then takes 60 s to exit.
  const pid_t slow = pool.submit<slow_exit>(60'000).get();
  std::vector<int> pids;
  for (int i = 0; i < 6; ++i) pids.push_back(pool.submit<my_pid>(0).get());
  // Six tasks on six new workers finished while the slow one was still exiting.
  CHECK(::kill(slow, 0) == 0);
  CHECK(std::find(pids.begin(), pids.end(), slow) == pids.end());
  ::kill(slow, SIGKILL);
}

// ---- shared buffers in tasks and results -----------------------------------------------------

namespace {
conc::SharedBuffer filled(std::size_t size, char first) {
  auto buffer = conc::SharedBuffer::create(size);
  for (std::size_t i = 0; i < size; ++i) buffer.data()[i] = static_cast<std::byte>((i * 7 + 3) % 256);
  buffer.data()[0] = static_cast<std::byte>(first);
  buffer.seal();
  return buffer;
}
}  // namespace

TEST_CASE("a task reads a shared buffer and returns one", "[process_pool][shared_buffer]") {
  const std::size_t fds_before = open_fds();
  {
    conc::ProcessPool pool({.workers = 2});
    auto input = filled(1 << 20, 'a');
    CHECK(pool.submit<checksum>(input).get() == fnv1a(input.view()));

    conc::SharedBuffer made = std::move(pool.submit<make_buffer>(1000).get());
    REQUIRE(made.size() == 1000);
    CHECK(made.sealed());
    CHECK(static_cast<unsigned char>(made.view()[999]) == 999 % 251);

    std::vector<conc::SharedBuffer> inputs;
    for (int i = 0; i < 40; ++i) inputs.push_back(filled(4096 + static_cast<std::size_t>(i), 'b'));
    std::vector<std::uint64_t> got(inputs.size());
    pool.imap_unordered<checksum>(inputs, [&](std::size_t i, conc::Outcome<std::uint64_t> r) { got[i] = r.value(); });
    for (std::size_t i = 0; i < inputs.size(); ++i) CHECK(got[i] == fnv1a(inputs[i].view()));
  }
  CHECK(open_fds() == fds_before);
}

TEST_CASE("a worker that dies holding buffers leaks no descriptor", "[process_pool][shared_buffer][faults]") {
  const std::size_t fds_before = open_fds();
  {
    conc::ProcessPool pool({.workers = 2, .retries = 1});
    std::vector<conc::SharedBuffer> inputs;
    for (int i = 0; i < 30; ++i) inputs.push_back(filled(64 * 1024, i % 10 == 0 ? 'X' : 'o'));
    auto outcomes = pool.map<crash_holding>(inputs, 4);
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      if (i % 10 == 0) {
        REQUIRE_FALSE(outcomes[i].ok());
        CHECK(outcomes[i].error().what.find("SIGSEGV") != std::string::npos);
      } else {
        CHECK(outcomes[i].value() == fnv1a(inputs[i].view()));
      }
    }
  }
  CHECK(open_fds() == fds_before);
}

TEST_CASE("a completion that submits never blocks the pool, even at max_in_flight", "[process_pool][faults]") {
  conc::ProcessPool pool({.workers = 1, .max_in_flight = 1});
  conc::Event second_done;
  pool.submit_raw(conc::task_name<square>(), conc::encode(2), [&](conc::Outcome<conc::Message>&&) {
    pool.submit_raw(conc::task_name<square>(), conc::encode(3), [&](conc::Outcome<conc::Message>&& o) {
      if (o) second_done.set();
    });
  });
  CHECK(second_done.wait_for(30s));
}

TEST_CASE("a task whose descriptors cannot be passed fails with the reason, and the pool goes on",
          "[process_pool][faults][fd-limit]") {
  conc::ProcessPool pool({.workers = 1});
  CHECK(pool.submit<square>(2).get() == 4);  // the worker runs, its descriptors are open
  auto buffer = conc::SharedBuffer::create(4096);
  conc::Message payload;
  {
    conc::detail::AttachFds attach(payload.fds);
    payload.bytes = conc::encode(buffer);
  }
  std::optional<conc::Outcome<conc::Message>> outcome;
  conc::Event done;
  {
    const auto fillers = fill_descriptor_holes();
    FileLimit limit(static_cast<rlim_t>(highest_open_fd()) + 1);  // no descriptor left to dup
    REQUIRE(limit.ok());
    pool.submit_raw(conc::task_name<checksum>(), std::move(payload), [&](conc::Outcome<conc::Message>&& o) {
      outcome.emplace(std::move(o));
      done.set();
    });
    REQUIRE(done.wait_for(30s));
  }
  REQUIRE(outcome.has_value());
  REQUIRE_FALSE(outcome->ok());
  CHECK(outcome->error().what.find("cannot pass the task's descriptors") != std::string::npos);
  CHECK(pool.submit<checksum>(buffer).get() == fnv1a(buffer.view()));
}
