// A program outside the conc tree, built against the installed package.
#include <conc/process_pool.hpp>
#include <conc/thread_pool.hpp>

#include <cstdio>
#include <numeric>
#include <vector>

int square(int x) { return x * x; }
CONC_TASK(square);

int main(int argc, char** argv) {
  conc::worker_main_if_requested(argc, argv);
  conc::ThreadPool io(4);
  std::vector<int> numbers(100);
  std::iota(numbers.begin(), numbers.end(), 0);
  auto doubled = io.map([](int x) { return x; }, numbers);
  std::printf("thread pool: %d\n", std::accumulate(doubled.begin(), doubled.end(), 0));
  conc::ProcessPool cpu({.workers = 2});
  auto results = cpu.map<square>(std::vector<int>{4, 9});
  std::printf("process pool: %d %d\n", *results[0], *results[1]);
  return 0;
}
