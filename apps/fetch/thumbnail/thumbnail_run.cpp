// conc-fetch --thumbnail: downloads' bodies go in memory to a process pool of thumbnail workers
// (a bounded hand-off), each thumbnail is recorded with its facts, and the run ends with
// OUT/stats.json.

#include <nlohmann/json.hpp>

#include "atomic_file.hpp"
#include "name_text.hpp"
#include "run_state.hpp"
#include "shard.hpp"
#include "thumbnail/opt_out.hpp"
#include "thumbnail/sample_json.hpp"

namespace fetch {

namespace {

constexpr const char* kThumbnailExtensions[] = {".jpg", ".png", ".webp"};
// A claim of a stem in the name registry: one pseudo-extension for every thumbnail, so that two
// downloads never share a stem whatever formats their thumbnails turn out in.
constexpr std::string_view kStemClaim = ".thumb";
constexpr std::size_t kMaxExtension = 16;

// "a/b.jpg" -> {"a/b", ".jpg"}; "a/b" -> {"a/b", ""}.
std::pair<std::string, std::string> split_extension(const std::string& relative) {
  const auto slash = relative.rfind('/');
  const std::size_t base = slash == std::string::npos ? 0 : slash + 1;
  const auto dot = relative.rfind('.');
  if (dot == std::string::npos || dot <= base || relative.size() - dot > kMaxExtension) return {relative, ""};
  return {relative.substr(0, dot), relative.substr(dot)};
}

}  // namespace

std::string Run::claim_thumbnail_stem(const std::string& relative) {
  const std::string claimed = names_.claim(split_extension(relative).first + std::string(kStemClaim));
  return claimed.substr(0, claimed.size() - kStemClaim.size());
}

bool Run::thumbnail_done_before(const std::string& url, const std::string& stem) {
  std::error_code ec;
  if (o_.thumbnail.output == OutputFormat::WebDataset) {
    // Its sample is in a complete tar (lines are written only then), the last one recorded for that
    // member of that tar, and the tar is still the one recorded.
    const auto before = manifest_->done_before(url);
    return before && before->thumbnail && before->record.path.ends_with(".tar") &&
           fs::file_size(root_ / before->record.path, ec) == before->thumbnail->tar_bytes && !ec;
  }
  for (const char* extension : kThumbnailExtensions) {
    const std::string path = stem + extension;
    if (o_.skip_existing && fs::is_regular_file(root_ / path, ec)) return true;
    // The last record of this thumbnail is url's, and the file still has the recorded size.
    const auto before = manifest_->done_before(url, path);
    if (!before || !before->thumbnail) continue;
    const auto size = fs::file_size(root_ / path, ec);
    if (ec || size != before->thumbnail->thumbnail_bytes) continue;
    if (o_.thumbnail.keep_originals) {
      const std::string& original = before->thumbnail->original;
      if (original.empty() || !manifest_->original_is(url, original)) continue;
      const auto original_size = fs::file_size(root_ / original, ec);
      if (ec || original_size != before->record.bytes) continue;
    }
    return true;
  }
  return false;
}

void Run::start_thumbnails() {
  ThumbnailStage::Settings settings;
  settings.workers = o_.thumbnail.workers;
  settings.task = o_.thumbnail.task;
  settings.executable = o_.thumbnail.worker;
  settings.task_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(o_.thumbnail.timeout);
  const std::size_t workers =
      settings.workers != 0 ? settings.workers : std::max(1u, std::thread::hardware_concurrency());
  // Enough bodies for every transfer to run and every worker to have the next one waiting; no more.
  const std::size_t transfers = o_.jobs != 0 ? o_.jobs : 32;
  settings.max_bodies = transfers + 2 * workers;
  if (o_.thumbnail.output == OutputFormat::WebDataset) {
    // Each shard numbers its own tars, in a folder of its own: shards sharing OUT never meet.
    const fs::path tar_folder = o_.shard ? root_ / common::shard_tag(*o_.shard) : root_;
    // New tars are numbered past every tar recorded before, so that the name of one lost since is
    // never given to other samples (whose records would then vouch for samples it does not hold).
    std::size_t first_index = 0;
    const fs::path folder = tar_folder.lexically_relative(root_);
    for (const std::string& path : manifest_->done_paths()) {
      const fs::path p(path);
      const std::string name = p.filename().string();
      const fs::path parent = p.has_parent_path() ? p.parent_path() : fs::path(".");
      if (parent.lexically_normal() != folder.lexically_normal() || name.size() < 9 || !name.ends_with(".tar") ||
          name.find_first_not_of("0123456789") != name.size() - 4) {
        continue;
      }
      first_index = std::max<std::size_t>(first_index, std::stoull(name.substr(0, name.size() - 4)) + 1);
    }
    tars_ = std::make_unique<ThumbnailTars>(
        tar_folder, o_.thumbnail.samples_per_tar, first_index, *temporaries_,
        [this](std::vector<ThumbnailTars::Pending>&& samples, const std::string& tar, const std::string& error) {
          tar_settled(std::move(samples), tar, error);
        },
        o_.thumbnail.tar_write_delay);
  }
  thumbnails_ = std::make_unique<ThumbnailStage>(
      settings, [this](std::size_t index, conc::Outcome<ThumbnailReply>&& outcome, BodySlot&& slot) {
        thumbnail_done(index, std::move(outcome), std::move(slot));
      });
}

void Run::hand_off(std::size_t index, const AttemptResult& r) {
  Job& job = job_at(index);
  job.http_status = r.http_status;
  job.body_bytes = r.bytes;
  ++handed_off_;
  progress_->add_bytes(r.bytes);
  if (const auto directive = opting_out(r.robots_tags, o_.thumbnail.disallowed_directives, o_.thumbnail.agent_names)) {
    thumbnails_->release();  // no body goes on: its slot is free
    refuse(index, job.record("opted-out", "X-Robots-Tag: " + *directive), nullptr);
    return;
  }
  ThumbnailRequest request;
  request.body = std::move(*r.body);
  // For a tar the thumbnail's bytes come back; for files the worker writes them.
  if (!tars_) request.output_stem = (root_ / job.path).string();
  if (!job.original.empty()) request.original = (root_ / job.original).string();
  request.temporaries_token = temporaries_->token();
  request.spec = o_.thumbnail.spec;
  if (!tars_ && is_table(o_.input)) {
    request.beside = true;
    request.key = sample_key(job.line);
    request.url = job.url;
    request.caption = job.caption;
    request.columns = job.columns;
  }
  thumbnails_->submit(index, request);
  update_thumbnail_status();
}

void Run::refuse(std::size_t index, Record rec, const ThumbnailFacts* facts) {
  ++(rec.status == "opted-out" ? opted_out_ : filtered_);
  if (o_.verbose) {
    std::lock_guard lock(print_mutex_);
    if (progress_) progress_->clear();
    out_ << rec.status << " " << rec.url << ": " << rec.error << "\n";
  }
  record(rec, facts);
  ++settled_;
  progress_->advance(1, false);
  update_thumbnail_status();
  job_done(index);
}

void Run::thumbnail_done(std::size_t index, conc::Outcome<ThumbnailReply>&& outcome, BodySlot&& slot) {
  // A worker that died of the same Ctrl-C that stops the run: the URL is left for the next run.
  if (!outcome && interrupted) return;
  Job& job = job_at(index);
  Record rec = job.record("ok");
  ThumbnailFacts facts;
  facts.source_bytes = job.body_bytes;
  facts.original = job.original;
  if (!outcome) {
    rec.status = "failed";
    rec.error = "thumbnail: " + outcome.error().what;
  } else {
    const ThumbnailReply& reply = *outcome;
    rec.sha256 = reply.sha256;
    if (!reply.filtered.empty()) {
      rec.status = "filtered";
      rec.filtered = reply.filtered;
      rec.error = reply.error;
      refuse(index, std::move(rec), &facts);
      return;
    }
    if (!reply.ok) {
      rec.status = "failed";
      rec.error = reply.error;
    } else {
      rec.path = facts.path = job.path + reply.extension;
      // What a re-run checks before it counts the thumbnail as done.
      if (!tars_) {
        std::error_code ec;
        facts.thumbnail_bytes = fs::file_size(root_ / rec.path, ec);
        if (ec) facts.thumbnail_bytes = 0;
      }
      facts.width = reply.width;
      facts.height = reply.height;
      facts.source_width = reply.source_width;
      facts.source_height = reply.source_height;
    }
  }
  // A worker writes the original before it tries the thumbnail; one that died may not have.
  if (!outcome) facts.original.clear();
  if (rec.status == "ok") ++thumbnailed_;
  if (rec.status == "ok" && tars_) {
    const std::string key = sample_key(job.line);
    facts.path = key + outcome->extension;
    const SampleFacts sample{key,
                             job.url,
                             job.caption,
                             job.columns,
                             facts.width,
                             facts.height,
                             facts.source_width,
                             facts.source_height,
                             facts.source_bytes,
                             rec.sha256};
    WebDatasetSample member{key, outcome->extension.substr(1), std::move(outcome->encoded), sample_json(sample),
                            job.caption};
    job_done(index);                                               // its record waits for the tar
    tars_->add(std::move(member), {rec, facts}, std::move(slot));  // the slot waits for the writer, not this thread
    update_thumbnail_status();
    return;
  }
  if (rec.status == "ok") {
    ++ok_;
    bytes_ += rec.bytes;
    if (o_.verbose) {
      std::lock_guard lock(print_mutex_);
      if (progress_) progress_->clear();
      out_ << "ok " << job.url << " -> " << rec.path << " (" << facts.width << "x" << facts.height << " from "
           << facts.source_width << "x" << facts.source_height << ")\n";
    }
    record(rec, &facts);
  } else {
    fail_record(rec, job.url, &facts);
  }
  ++settled_;
  progress_->advance(1, rec.status != "ok");
  update_thumbnail_status();
  job_done(index);
}

void Run::tar_settled(std::vector<ThumbnailTars::Pending>&& samples, const std::string& tar, const std::string& error) {
  std::error_code ec;
  const std::uint64_t tar_bytes = error.empty() ? fs::file_size(tar, ec) : 0;
  for (ThumbnailTars::Pending& p : samples) {
    if (error.empty()) {
      p.record.path = fs::path(tar).lexically_relative(root_).string();  // a shard's tars are in a folder of its own
      p.facts.tar_bytes = ec ? 0 : tar_bytes;
      ++ok_;
      bytes_ += p.record.bytes;
      record(p.record, &p.facts);
    } else {
      p.record.status = "failed";
      p.record.error = error;
      p.facts.path.clear();
      fail_record(p.record, p.record.url, &p.facts);
    }
    ++settled_;
    progress_->advance(1, !error.empty());
  }
  update_thumbnail_status();
}

void Run::update_thumbnail_status() {
  const std::size_t thumbnailed = thumbnailed_.load();
  const std::size_t failed = failed_.load();
  show_status(&Run::stages_text_, "downloaded " + std::to_string(handed_off_.load()) + ", thumbnailed " +
                                      std::to_string(thumbnailed) + ", failed " + std::to_string(failed) + ", " +
                                      std::to_string(thumbnails_->in_flight()) + " at the workers");
}

void Run::finish_thumbnails(Clock::time_point start) {
  thumbnails_->finish();
  if (tars_) tars_->finish();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  const RunStats::Totals totals = stats_.totals();
  nlohmann::json by_status = totals.by_status;
  by_status["skipped"] = skipped_.load();
  // img2dataset's counts, and conc's own.
  nlohmann::json stats = RunStats::dataset_view(totals, seconds);
  stats["skipped"] = skipped_.load();
  stats.update(nlohmann::json{
      {"wall_seconds", seconds},
      {"urls", by_status},
      {"errors", totals.by_error},
      {"bytes_downloaded", totals.bytes},
      {"images_per_second", seconds > 0 ? static_cast<double>(ok_.load()) / seconds : 0.0},
      {"interrupted", interrupted.load()},
      {"thumbnail",
       {{"width", o_.thumbnail.spec.width},
        {"height", o_.thumbnail.spec.height},
        {"fit", o_.thumbnail.spec.fit},
        {"enlarge", o_.thumbnail.spec.enlarge},
        {"format", o_.thumbnail.spec.format},
        {"quality", o_.thumbnail.spec.quality}}},
      {"output", tars_ ? "webdataset" : "files"},
      {"workers", thumbnails_->workers()},
      {"max_bodies_held", thumbnails_->max_bodies()},
      {"peak_bodies_held", thumbnails_->peak_held()},
  });
  nlohmann::ordered_json file = {{"schema", kStatsSchema}};
  for (const auto& [name, value] : stats.items()) file[name] = value;
  try {
    common::write_atomically((root_ / common::shard_file_name("stats.json", o_.shard)).string(), file.dump(2) + "\n",
                             *temporaries_);
  } catch (const std::exception& e) {
    say(std::string("error: ") + e.what());
    manifest_failed_ = true;
  }
}

}  // namespace fetch
