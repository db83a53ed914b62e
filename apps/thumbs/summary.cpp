#include "summary.hpp"

#include <algorithm>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <vector>

#include "name_text.hpp"
#include "run.hpp"
#include "shard.hpp"

namespace thumbs {

namespace fs = std::filesystem;

namespace {

struct Outcome {
  std::string status;  // "ok", "skipped" or "failed"
  std::string error;
};

int rank(const std::string& status) { return status == "ok" ? 2 : status == "skipped" ? 1 : 0; }

// A report's source, written by common::name_to_text, as a message shows it.
std::string display_source(const std::string& text) {
  try {
    return common::name_for_display(common::name_from_text(text));
  } catch (const std::invalid_argument&) {
    return common::name_for_display(text);
  }
}

}  // namespace

int summarize(const fs::path& out_root, const std::string& report, std::ostream& out, std::ostream& err) {
  const fs::path base = report.empty() ? out_root / kReportName : fs::absolute(report);
  const fs::path folder = base.parent_path();
  const std::string name = base.filename().string();
  const std::string extension = base.filename().extension().string();
  const std::string stem = name.substr(0, name.size() - extension.size());

  std::vector<fs::path> files;
  std::map<std::size_t, std::set<std::size_t>> shards;  // count -> indexes found
  std::error_code ec;
  for (auto it = fs::directory_iterator(folder, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    const std::string file = it->path().filename().string();
    if (file == name) {
      files.push_back(it->path());
    } else if (const auto shard = common::shard_of_file_name(file, stem, extension)) {
      files.push_back(it->path());
      shards[shard->count].insert(shard->index);
    }
  }
  if (ec) {
    err << "conc-thumbs: cannot read " << common::name_for_display(folder.string()) << ": " << ec.message() << "\n";
    return 2;
  }
  if (files.empty()) {
    err << "conc-thumbs: no report in " << common::name_for_display(folder.string()) << " (" << name << " or "
        << common::shard_file_name(name, common::Shard{0, 1}) << " and the like)\n";
    return 2;
  }
  std::sort(files.begin(), files.end());
  std::map<std::string, Outcome> outcomes;  // by source
  bool unreadable = false;
  for (const fs::path& file : files) {
    try {
      std::ifstream in(file);
      const auto j = nlohmann::json::parse(in);
      for (const auto& f : j.at("files")) {
        Outcome o{f.at("status").get<std::string>(), f.value("error", "")};
        auto [it, fresh] = outcomes.emplace(f.at("source").get<std::string>(), o);
        // Reports of different runs over one tree: a source made or up to date in any of them is done.
        if (!fresh && rank(o.status) > rank(it->second.status)) it->second = o;
      }
    } catch (const std::exception& e) {
      err << "error: " << common::name_for_display(file.string())
          << ": cannot read the report: " << common::name_for_display(e.what()) << "\n";
      unreadable = true;
    }
  }
  std::size_t made = 0;
  std::size_t skipped = 0;
  std::size_t failed = 0;
  for (const auto& [source, o] : outcomes) {
    if (o.status == "ok") {
      ++made;
    } else if (o.status == "skipped") {
      ++skipped;
    } else {
      ++failed;
      err << "error: " << display_source(source) << ": " << o.error << "\n";
    }
  }
  std::size_t missing = 0;
  for (const auto& [count, found] : shards) {
    for (std::size_t i = 0; i < count; ++i) {
      if (found.count(i) != 0) continue;
      ++missing;
      err << "error: " << common::shard_tag(common::Shard{i, count}) << " left no report: it has not run, or ran "
          << "elsewhere\n";
    }
  }
  out << made << " made, " << skipped << " skipped, " << failed << " failed in " << files.size()
      << (files.size() == 1 ? " report" : " reports");
  if (missing != 0) out << ", " << missing << (missing == 1 ? " shard" : " shards") << " missing";
  out << "\n";
  return failed != 0 || missing != 0 || unreadable ? 1 : 0;
}

}  // namespace thumbs
