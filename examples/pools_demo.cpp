// conc-demo: both pools on the bundled data.
//  1. IO on the thread pool: read every file, sized by the blocking rule, with a progress bar.
//  2. CPU on the process pool: count words per file in worker processes, next to two tasks that
//     crash and hang on purpose, to show that they cost only themselves.

#include <CLI/CLI.hpp>
#include <conc/process_pool.hpp>
#include <conc/progress.hpp>
#include <conc/sizing.hpp>
#include <conc/thread_pool.hpp>

#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace fs = std::filesystem;

namespace {

// Word count of a text, computed in a worker process. "crash" and "hang" misbehave on purpose.
int count_words(std::string text) {
  if (text == "crash") ::raise(SIGSEGV);
  if (text == "hang") {
    for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  std::istringstream in(text);
  int n = 0;
  for (std::string word; in >> word;) ++n;
  return n;
}
CONC_TASK(count_words);

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

int main(int argc, char** argv) {
  conc::worker_main_if_requested(argc, argv);
  CLI::App app{"conc-demo: the thread pool and the process pool on the bundled data"};
  std::string data = "data/text";
  app.add_option("data", data, "folder to read (default: data/text)");
  app.footer("Example:\n  conc-demo data/text");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;  // --help and --version exit 0, usage errors 2
  }

  std::vector<fs::path> files;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(data, ec); !ec && it != fs::recursive_directory_iterator(); ++it) {
    if (it->is_regular_file()) files.push_back(it->path());
  }
  if (ec) {
    std::fprintf(stderr, "error: %s: %s\n", data.c_str(), ec.message().c_str());
    return 2;
  }
  std::sort(files.begin(), files.end());

  // 1. IO-bound: a thread pool sized by threads = cores / (1 - blocking).
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  const std::size_t io_threads = conc::threads_for(cores, 0.9);
  std::printf("1. reading %zu files on a thread pool of %zu threads (cores / (1 - 0.9))\n", files.size(), io_threads);
  conc::ThreadPool io(io_threads);
  conc::Progress bar(files.size(), {.label = "read", .unit = "files"});
  std::map<std::string, std::string> texts;
  io.for_each_unordered(
      files, [](const fs::path& p) { return std::pair(p.string(), read_file(p)); },
      [&](conc::Future<std::pair<std::string, std::string>>& done) {
        try {
          auto& [path, text] = done.get();
          bar.add_bytes(text.size());
          texts[path] = std::move(text);
          bar.advance();
        } catch (const std::exception& e) {
          bar.advance(1, true);
          std::fprintf(stderr, "error: %s\n", e.what());
        }
      });
  bar.finish();
  io.wait_idle();  // the counts are exact once the pool is idle
  const auto stats = io.stats();
  std::printf("   %llu tasks, measured blocking coefficient %.2f: the rule suggests %zu threads for this work\n",
              static_cast<unsigned long long>(stats.completed), stats.blocking_coefficient,
              conc::threads_for(cores, stats.blocking_coefficient));

  // 2. CPU-bound with fault isolation: a process pool; two tasks misbehave on purpose.
  std::printf("2. counting words in worker processes (two tasks crash and hang on purpose)\n");
  std::vector<std::string> names;
  std::vector<std::string> inputs;
  for (auto& [path, text] : texts) {
    names.push_back(path);
    inputs.push_back(text);
  }
  names.insert(names.end(), {"(crashes on purpose)", "(hangs on purpose)"});
  inputs.insert(inputs.end(), {"crash", "hang"});
  conc::ProcessPool cpu({.workers = cores, .task_timeout = std::chrono::seconds(2)});
  int ok = 0;
  int failed = 0;
  cpu.imap_unordered<count_words>(inputs, [&](std::size_t i, conc::Outcome<int> words) {
    if (words) {
      std::printf("   %-28s %4d words\n", names[i].c_str(), *words);
      ++ok;
    } else {
      std::printf("   %-28s failed: %s\n", names[i].c_str(), words.error().what.c_str());
      ++failed;
    }
  });
  const auto pool_stats = cpu.stats();
  std::printf("   %d tasks done, %d failed; %llu worker processes replaced, the rest never noticed\n", ok, failed,
              static_cast<unsigned long long>(pool_stats.worker_deaths));
  return ok == static_cast<int>(texts.size()) && failed == 2 ? 0 : 1;
}
