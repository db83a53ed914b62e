#include "store/summary.hpp"

#include <algorithm>
#include <conc/progress.hpp>
#include <cstdint>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <vector>

#include "name_text.hpp"
#include "shard.hpp"
#include "store/manifest.hpp"
#include "store/run_stats.hpp"

namespace fetch {

namespace fs = std::filesystem;

namespace {

struct Outcome {
  bool ok = false;
  Record record;
  bool thumbnail_stage = false;  // a failure of the thumbnail, not of the download
};

// The last word of one manifest on each URL it names (a URL that failed and later succeeded,
// under another name perhaps, has succeeded).
void read_manifest(const fs::path& file, std::map<std::string, Outcome>& union_of_runs) {
  std::ifstream in(file);
  std::map<std::string, Outcome> last;
  for (std::string line; std::getline(in, line);) {
    if (std::optional<Recorded> r = parse_manifest_line(line)) {
      const bool ok = r->record.status == "ok";
      const bool thumbnail_stage = r->thumbnail.has_value();
      const std::string url = r->record.url;
      last[url] = Outcome{ok, std::move(r->record), thumbnail_stage};
    }
  }
  // Files of different runs over one folder: a URL done by any of them is done.
  for (auto& [url, outcome] : last) {
    auto [it, fresh] = union_of_runs.emplace(url, outcome);
    if (!fresh && !it->second.ok) it->second = outcome;
  }
}

// The longest run time the stats files beside the manifests give (OUT/stats.json and each shard's):
// the shards run side by side.
double longest_run(const fs::path& folder) {
  double longest = 0;
  std::error_code ec;
  for (auto it = fs::directory_iterator(folder, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name != "stats.json" && !common::shard_of_file_name(name, "stats", ".json")) continue;
    std::ifstream in(it->path());
    const auto j = nlohmann::json::parse(in, nullptr, false);
    if (!j.is_object() || j.value("schema", kStatsSchema) != kStatsSchema) continue;  // none: an older conc-fetch's
    if (j.value("duration", 0.0) > longest) longest = j.value("duration", 0.0);
  }
  return longest;
}

// img2dataset's counts, merged: one line of counts, one of the most frequent messages.
void print_dataset_stats(const nlohmann::json& s, std::ostream& out) {
  out << "count " << s.at("count") << ": " << s.at("successes") << " successes, " << s.at("failed_to_download")
      << " failed to download, " << s.at("failed_to_resize") << " failed to resize, " << s.at("opted_out")
      << " opted out, " << s.at("filtered") << " filtered";
  std::string by;
  for (const auto& [filter, n] : s.at("filtered_by").items()) by += (by.empty() ? "" : ", ") + filter + " " + n.dump();
  if (!by.empty()) out << " (" << by << ")";
  char duration[32];
  std::snprintf(duration, sizeof duration, "%.2f", s.at("duration").get<double>());
  out << "; the longest run " << duration << " s\n";
  std::vector<std::pair<std::string, std::uint64_t>> messages;
  for (const auto& [message, n] : s.at("status_dict").items()) {
    if (message != "success") messages.emplace_back(message, n.get<std::uint64_t>());
  }
  std::stable_sort(messages.begin(), messages.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  if (messages.empty()) return;
  out << "most frequent:";
  for (std::size_t i = 0; i < messages.size(); ++i) {
    out << (i == 0 ? " " : "; ") << messages[i].second << " " << common::name_for_display(messages[i].first);
  }
  out << "\n";
}

}  // namespace

int summarize(const fs::path& out_folder, const std::string& manifest, std::ostream& out, std::ostream& err) {
  const fs::path base = manifest.empty() ? out_folder / ".conc-fetch.jsonl" : fs::path(manifest);
  const fs::path folder = base.parent_path().empty() ? fs::path(".") : base.parent_path();
  const std::string extension = base.filename().extension().string();
  const std::string stem = base.filename().string().substr(0, base.filename().string().size() - extension.size());

  std::vector<fs::path> files;
  std::map<std::size_t, std::set<std::size_t>> shards;  // count -> indexes found
  std::error_code ec;
  for (auto it = fs::directory_iterator(folder, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name == base.filename().string()) {
      files.push_back(it->path());
    } else if (const auto shard = common::shard_of_file_name(name, stem, extension)) {
      files.push_back(it->path());
      shards[shard->count].insert(shard->index);
    }
  }
  if (ec) {
    err << "conc-fetch: cannot read " << folder.string() << ": " << ec.message() << "\n";
    return 2;
  }
  if (files.empty()) {
    err << "conc-fetch: no manifest in " << folder.string() << " (" << base.filename().string() << " or "
        << common::shard_file_name(base.filename().string(), common::Shard{0, 1}) << " and the like)\n";
    return 2;
  }
  std::sort(files.begin(), files.end());
  std::map<std::string, Outcome> outcomes;
  for (const fs::path& file : files) read_manifest(file, outcomes);

  std::size_t ok = 0;
  std::size_t failed = 0;
  std::uint64_t bytes = 0;
  bool dataset = false;  // --thumbnail runs: img2dataset's counts too
  RunStats stats;
  for (const auto& [url, outcome] : outcomes) {
    stats.count(outcome.record, outcome.thumbnail_stage);
    dataset = dataset || outcome.thumbnail_stage || outcome.record.status == "opted-out" ||
              outcome.record.status == "filtered";
    if (outcome.ok) {
      ++ok;
      bytes += outcome.record.bytes;
    } else if (outcome.record.status == "failed") {
      ++failed;
      err << "error: " << common::name_for_display(url) << ": " << outcome.record.error << "\n";
    }
  }
  std::size_t missing = 0;
  for (const auto& [count, found] : shards) {
    for (std::size_t i = 0; i < count; ++i) {
      if (found.count(i) != 0) continue;
      ++missing;
      err << "error: " << common::shard_tag(common::Shard{i, count}) << " left no manifest: it has not run, or ran "
          << "elsewhere\n";
    }
  }
  out << ok << " downloaded, " << failed << " failed, " << conc::format_bytes(static_cast<double>(bytes)) << " in "
      << files.size() << (files.size() == 1 ? " manifest" : " manifests");
  if (missing != 0) out << ", " << missing << (missing == 1 ? " shard" : " shards") << " missing";
  out << "\n";
  if (dataset) print_dataset_stats(RunStats::dataset_view(stats.totals(), longest_run(folder)), out);
  return failed != 0 || missing != 0 ? 1 : 0;
}

}  // namespace fetch
