#pragma once
// The conc-fetch test server (tests/fetch/test_server.py), started on a free port of 127.0.0.1,
// waited for (bounded), and stopped by PID whatever happens. It logs every request it gets.

#include <curl/curl.h>
#include <signal.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "subprocess.hpp"
#include "temp_dir.hpp"

namespace test_support {

class FetchServer {
 public:
  // extra: more arguments for the server ("--files", DIR).
  explicit FetchServer(const std::string& script, std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = {
        "/usr/bin/python3", script, "--port", "0", "--log", (dir_ / "requests.jsonl").string()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    pid_ = spawn(argv, dir_ / "server.out", dir_ / "server.err");
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
      const std::string out = slurp(dir_ / "server.out");
      if (const auto at = out.find("listening on ");
          at != std::string::npos && out.find('\n', at) != std::string::npos) {
        port_ = std::stoi(out.substr(at + 13));
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ::kill(pid_, SIGKILL);
    wait_exit(pid_);
    FAIL("the test server did not start: " << slurp(dir_ / "server.err"));
  }
  ~FetchServer() {
    ::kill(pid_, SIGTERM);
    wait_exit(pid_);
  }
  FetchServer(const FetchServer&) = delete;
  FetchServer& operator=(const FetchServer&) = delete;

  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }
  std::string get(const std::string& path) const {
    std::string body;
    CURL* c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, url(path).c_str());
    curl_easy_setopt(
        c, CURLOPT_WRITEFUNCTION, +[](char* d, size_t s, size_t n, void* u) {
          static_cast<std::string*>(u)->append(d, s * n);
          return s * n;
        });
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
    curl_easy_perform(c);
    curl_easy_cleanup(c);
    return body;
  }
  int hits(const std::string& path) const { return std::stoi(get("/hits" + path)); }
  // The requests the server got whose path (with its query) starts with `prefix`, in the order
  // they came: {"t": seconds on CLOCK_MONOTONIC, "path", "range", "if_range"} (null when not sent).
  std::vector<nlohmann::json> requests(const std::string& prefix) const {
    std::vector<nlohmann::json> found;
    std::istringstream in(slurp(dir_ / "requests.jsonl"));
    for (std::string line; std::getline(in, line);) {
      auto j = nlohmann::json::parse(line);
      if (j.at("path").get<std::string>().rfind(prefix, 0) == 0) found.push_back(std::move(j));
    }
    return found;
  }
  // The SHA-256 of the server's /file body of this size and seed.
  std::string digest(int size, int seed) const {
    return get("/digest?size=" + std::to_string(size) + "&seed=" + std::to_string(seed));
  }

 private:
  TempDir dir_;
  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace test_support
