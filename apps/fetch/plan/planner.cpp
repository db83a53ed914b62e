// The planner: each list entry becomes a name below the output folder, a skip (done before and
// still as recorded) or a job for the scheduler. Runs on a thread of its own while the first
// downloads run.

#include "engine/sha256.hpp"
#include "name_text.hpp"
#include "redact.hpp"
#include "run_state.hpp"

namespace fetch {

bool Run::mine(const ListEntry& e) const {
  if (!o_.shard) return true;
  return common::owns(*o_.shard, o_.shard_by == ShardBy::Host && e.url ? std::string_view(e.url->host) : e.raw);
}

void Run::plan(const ListEntry& e, Planner& planner) {
  if (interrupted) return;
  // What the manifest and every message name: the URL as listed, its credentials redacted. The
  // request (Job::sources) keeps them.
  const std::string listed = common::redact_urls(e.raw);
  if (!e.url) {
    if (!mine(e)) return;
    Record rec{listed, "", "failed", 0, 0, "", 0, e.error};
    rec.caption = e.caption;
    rec.columns = e.columns;
    // A table's row says its line in its error already.
    const std::string line = "line " + std::to_string(e.line) + ": ";
    fail_record(rec, e.error.starts_with(line) ? listed : line + listed);
    return;
  }
  std::string relative;
  if (!e.out.empty()) {
    const auto confined = confine(e.out);
    if (!confined) {
      if (!mine(e)) return;
      fail_record(Record{listed, "", "failed", 0, 0, "", 0, "out=" + e.out + " names no file inside the output folder"},
                  listed);
      return;
    }
    relative = *confined;
  } else {
    relative = o_.layout == Layout::Host ? host_path(*e.url) : flat_name(*e.url);
  }
  const std::string download_name = relative;
  {
    std::lock_guard lock(names_mutex_);
    relative = thumbnailing() ? claim_thumbnail_stem(relative) : names_.claim(relative);
  }
  // Every shard names the whole list alike (a duplicate gets the same .1 in each), then does its own part.
  if (!mine(e)) return;
  const fs::path target = root_ / relative;
  std::error_code ec;
  // Each folder is created once here, not on every transfer.
  if (const fs::path folder = target.parent_path(); planner.folders.insert(folder).second) {
    fs::create_directories(folder, ec);
    if (ec) {
      fail_record(
          Record{listed, relative, "failed", 0, 0, "", 0, "cannot create " + folder.string() + ": " + ec.message()},
          listed);
      return;
    }
  }
  if (thumbnailing() && !o_.force && thumbnail_done_before(listed, relative)) {
    ++skipped_;
    return;
  }
  const bool exists = fs::is_regular_file(target, ec);
  if (!o_.force && !thumbnailing()) {
    auto before = manifest_->done_before(listed, relative);
    // A file the server named is recorded under that name.
    if (!before && o_.transfer.content_disposition && e.out.empty()) before = manifest_->done_before(listed);
    const fs::path recorded = before ? root_ / before->record.path : target;
    if ((o_.skip_existing && exists) ||
        (before && fs::is_regular_file(recorded, ec) && still_as_recorded(recorded, before->record, listed))) {
      ++skipped_;
      return;
    }
  }
  std::vector<Url> sources{*e.url};
  sources.insert(sources.end(), e.mirrors.begin(), e.mirrors.end());
  Job job;
  job.url = listed;
  job.sources = std::move(sources);
  job.path = relative;
  job.sha256 = e.sha256;
  job.named_by_list = !e.out.empty();
  job.line = e.line;
  job.caption = e.caption;
  job.columns = e.columns;
  if (thumbnailing() && o_.thumbnail.keep_originals) {
    job.original = "originals/" + relative + fs::path(download_name).extension().string();
    // Created by the worker that writes the original; listed here for the end-of-run tidy-up.
    planner.folders.insert((root_ / job.original).parent_path());
  }
  keep_pace();
  std::size_t index = 0;
  {
    std::lock_guard lock(jobs_mutex_);
    jobs_.push_back(std::make_unique<Job>(std::move(job)));
    index = jobs_.size() - 1;
  }
  progress_->set_total(++pending_);
  scheduler_.add(index, e.url->host);
}

bool Run::still_as_recorded(const fs::path& target, const Record& before, const std::string& url) {
  std::error_code ec;
  const auto size = fs::file_size(target, ec);
  std::string change;
  if (ec || size != before.bytes) {
    change = "its size is " + std::to_string(ec ? 0 : size) + " bytes, recorded " + std::to_string(before.bytes);
  } else if (o_.verify && !before.sha256.empty() && sha256_of_file(target) != before.sha256) {
    change = "its SHA-256 differs from the recorded one";
  }
  if (change.empty()) return true;
  say("note: " + url + ": " + common::name_for_display(before.path) + " changed since it was downloaded (" + change +
      "); downloading it again");
  return false;
}

}  // namespace fetch
