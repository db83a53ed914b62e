// A process pool: tasks are registered functions that run in worker processes. A task that
// crashes its worker or hangs costs only itself; the pool replaces the worker and goes on.

#include <conc/process_pool.hpp>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

// Counts the words of a text. "crash" and "hang" stand for a decoder bug and a stuck input.
int count_words(std::string text) {
  if (text == "crash") std::raise(SIGSEGV);
  if (text == "hang") std::this_thread::sleep_for(std::chrono::hours(1));
  int words = 0;
  bool in_word = false;
  for (char c : text) {
    if (c != ' ' && !in_word) ++words;
    in_word = c != ' ';
  }
  return words;
}
CONC_TASK(count_words);  // registered by name: a worker (this program again) finds it there

int main(int argc, char** argv) {
  conc::worker_main_if_requested(argc, argv);  // in a worker process this serves tasks and exits

  conc::ProcessPool cpu({.workers = 2, .task_timeout = std::chrono::seconds(1)});
  const std::vector<std::string> texts = {"one two three", "crash", "four five", "hang", "six"};
  std::vector<conc::Outcome<int>> counts = cpu.map<count_words>(texts);  // in input order
  int failed = 0;
  for (std::size_t i = 0; i < texts.size(); ++i) {
    if (counts[i]) {
      std::printf("%-14s %d words\n", texts[i].c_str(), *counts[i]);
    } else {
      std::printf("%-14s failed: %s\n", texts[i].c_str(), counts[i].error().what.c_str());
      ++failed;
    }
  }
  std::printf("%zu tasks, %d failed, the others never noticed\n", texts.size(), failed);
}
