// A thread pool for blocking work: map() returns every result in input order; submit() and
// as_completed() hand back each result as soon as it is ready, a failure included.

#include <conc/thread_pool.hpp>

#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

// Stands in for a blocking call (a request, a disk read): it waits, and it may fail.
std::string fetch(int id) {
  std::this_thread::sleep_for(std::chrono::milliseconds(10 * (6 - id)));
  if (id == 3) throw std::runtime_error("item 3: not found");
  return "item " + std::to_string(id);
}

int main() {
  conc::ThreadPool io(8);  // more threads than cores: these tasks mostly wait (see sizing.cpp)

  // Every result, in input order. The first failure, if any, would be rethrown here.
  std::vector<std::string> items = io.map(fetch, std::vector<int>{0, 1, 2});
  for (const std::string& item : items) std::printf("map: %s\n", item.c_str());

  // One future per task, visited in the order they finish; get() rethrows a task's exception.
  std::vector<conc::Future<std::string>> futures;
  for (int id = 0; id < 6; ++id) futures.push_back(io.submit(fetch, id));
  for (conc::Future<std::string>& done : io.as_completed(std::move(futures))) {
    try {
      std::printf("done: %s\n", done.get().c_str());
    } catch (const std::exception& e) {
      std::printf("failed: %s\n", e.what());
    }
  }
}
