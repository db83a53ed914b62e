#pragma once
// Running the conc-fetch program in end-to-end tests: a list written to a scratch folder, the
// program run on it, what it said and left behind read back.

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/sha256.hpp"
#include "subprocess.hpp"
#include "temp_dir.hpp"

namespace fetch_cli {

struct Result {
  int exit_code;
  std::string out;
  std::string err;
};

// conc-fetch ARGS LIST, LIST (dir/name) holding `list`.
inline Result run(const TempDir& dir, const std::string& list, std::vector<std::string> args,
                  const std::string& name = "list.txt") {
  std::ofstream(dir / name, std::ios::binary) << list;
  std::vector<std::string> argv = {CONC_FETCH_EXE};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back((dir / name).string());
  const pid_t pid = test_support::spawn(argv, dir / "stdout.txt", dir / "stderr.txt");
  const int code = test_support::wait_exit(pid);
  return {code, test_support::slurp(dir / "stdout.txt"), test_support::slurp(dir / "stderr.txt")};
}

// conc-fetch --summary OUT.
inline Result summary(const TempDir& dir, const std::filesystem::path& out) {
  const pid_t pid =
      test_support::spawn({CONC_FETCH_EXE, "--summary", out.string()}, dir / "summary.out", dir / "summary.err");
  const int code = test_support::wait_exit(pid);
  return {code, test_support::slurp(dir / "summary.out"), test_support::slurp(dir / "summary.err")};
}

inline std::string sha256_of(const std::filesystem::path& file) {
  return fetch::sha256_of_bytes(test_support::slurp(file));
}

// Every line of a manifest, parsed as JSON (which fails on a line that is not valid JSON or UTF-8).
inline std::vector<nlohmann::json> manifest(const std::filesystem::path& file) {
  std::vector<nlohmann::json> lines;
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
  return lines;
}

// The last line of each URL in a manifest.
inline std::map<std::string, nlohmann::json> manifest_by_url(const std::filesystem::path& file) {
  std::map<std::string, nlohmann::json> lines;
  for (nlohmann::json& j : manifest(file)) {
    const std::string url = j.at("url").get<std::string>();
    lines[url] = std::move(j);
  }
  return lines;
}

// A part file as an earlier attempt leaves it: its bytes, and beside it (NAME.part.json) the
// validators of the response that started it, without which it is not continued.
inline void plant_part(const std::filesystem::path& part, const std::string& bytes, const std::string& url,
                       nlohmann::json validators) {
  std::filesystem::create_directories(part.parent_path());
  std::ofstream(part, std::ios::binary) << bytes;
  validators["url_sha256"] = fetch::sha256_of_bytes(url);
  std::ofstream(part.string() + ".json") << validators.dump() << "\n";
}

}  // namespace fetch_cli
