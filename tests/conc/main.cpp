// Test runner for libconc. The same program is the process pool's worker
// (--conc-worker) and the parent killed in the orphan tests (--orphan-helper,
// --orphan-process-helper).

#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
#include <conc/process.hpp>
#include <conc/process_pool.hpp>
#include <conc/task.hpp>

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

namespace {

int echo_for_helper(int v) { return v; }
CONC_TASK(echo_for_helper);

// Starts a pool, prints its worker pids on stdout, then waits to be killed.
int orphan_helper() {
  conc::ProcessPool pool({.workers = 2});
  while (pool.worker_pids().size() < 2) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  for (pid_t pid : pool.worker_pids()) std::printf("%d\n", static_cast<int>(pid));
  std::fflush(stdout);
  std::this_thread::sleep_for(std::chrono::seconds(60));
  return 0;
}

int sleep_for_minute(int) {
  std::this_thread::sleep_for(std::chrono::seconds(60));
  return 0;
}
CONC_TASK(sleep_for_minute);

// Starts a conc::Process, prints its pid on stdout, then waits to be killed.
int orphan_process_helper() {
  conc::Process child = conc::Process::start<sleep_for_minute>(0);
  std::printf("%d\n", static_cast<int>(child.pid()));
  std::fflush(stdout);
  std::this_thread::sleep_for(std::chrono::seconds(60));
  return 0;
}

}  // namespace

// Workers inherit this environment: a task that segfaults or aborts must die by its signal,
// as it would without a sanitizer, rather than exit after the sanitizer's report.
void let_workers_die_by_signal() {
  for (const char* name : {"ASAN_OPTIONS", "TSAN_OPTIONS"}) {
    const char* current = std::getenv(name);
    std::string value = current != nullptr ? std::string(current) + ":" : "";
    value += "handle_segv=0:handle_abort=0";
    ::setenv(name, value.c_str(), 1);
  }
}

int main(int argc, char** argv) {
  conc::worker_main_if_requested(argc, argv);
  let_workers_die_by_signal();
  if (argc > 1 && std::strcmp(argv[1], "--orphan-helper") == 0) return orphan_helper();
  if (argc > 1 && std::strcmp(argv[1], "--orphan-process-helper") == 0) return orphan_process_helper();
  return Catch::Session().run(argc, argv);
}
