#include "store/summary.hpp"

#include <algorithm>
#include <conc/progress.hpp>
#include <cstdint>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "name_text.hpp"
#include "shard.hpp"
#include "store/manifest.hpp"

namespace fetch {

namespace fs = std::filesystem;

namespace {

struct Outcome {
  bool ok = false;
  std::uint64_t bytes = 0;
  std::string error;
};

// The last word of one manifest on each URL it names (a URL that failed and later succeeded,
// under another name perhaps, has succeeded).
void read_manifest(const fs::path& file, std::map<std::string, Outcome>& union_of_runs) {
  std::ifstream in(file);
  std::map<std::string, Outcome> last;
  for (std::string line; std::getline(in, line);) {
    if (const std::optional<Recorded> r = parse_manifest_line(line)) {
      last[r->record.url] = Outcome{r->record.status == "ok", r->record.bytes, r->record.error};
    }
  }
  // Files of different runs over one folder: a URL done by any of them is done.
  for (auto& [url, outcome] : last) {
    auto [it, fresh] = union_of_runs.emplace(url, outcome);
    if (!fresh && !it->second.ok) it->second = outcome;
  }
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
  for (const auto& [url, outcome] : outcomes) {
    if (outcome.ok) {
      ++ok;
      bytes += outcome.bytes;
    } else {
      ++failed;
      err << "error: " << common::name_for_display(url) << ": " << outcome.error << "\n";
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
  return failed != 0 || missing != 0 ? 1 : 0;
}

}  // namespace fetch
