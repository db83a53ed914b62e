// What follows each attempt (a retry, a restart, the next mirror, the manifest record) and every
// line a run says.

#include <fcntl.h>
#include <stdio.h>

#include "redact.hpp"
#include "run_state.hpp"

namespace fetch {

void Run::settle(const Scheduler::Grant& grant, const AttemptResult& r, std::mt19937_64& rng) {
  Job& job = job_at(grant.index);
  // Where the file's bytes come from: a part started from zero, or continued by a resume.
  if (r.restart || (r.resumed && r.resumed->from == 0)) {
    job.resumed_from = 0;
    job.resume_check.clear();
  } else if (r.resumed && job.resumed_from == 0) {
    job.resumed_from = r.resumed->from;
    job.resume_check = r.resumed->check;
  }
  if (r.verdict == Verdict::Interrupted) return;  // its part stays for the next run
  if (r.verdict == Verdict::Ok && r.body) return hand_off(grant.index, r);
  std::string error = common::redact_urls(r.error);
  if (r.verdict == Verdict::Retry && r.restart) {
    --job.attempts;
    --job.source_attempts;
    if (o_.verbose) {
      std::lock_guard lock(print_mutex_);
      err_ << "restart: " << job.url << ": " << error << "; downloading from the start\n";
    }
    scheduler_.retry(grant.index, grant.host, Clock::now());
    return;
  }
  const bool wait_too_long = r.verdict == Verdict::Retry && r.retry_after && *r.retry_after > o_.retry_max_wait;
  if (wait_too_long) {
    error += ", and the server asks to wait " + std::to_string(r.retry_after->count()) +
             " s (Retry-After), more than --retry-max-wait " + std::to_string(o_.retry_max_wait.count()) + " s";
  }
  if (r.verdict == Verdict::Retry && !wait_too_long && job.source_attempts <= o_.retries) {
    auto delay = backoff(job.source_attempts - 1, rng);
    if (r.retry_after) delay = std::max<std::chrono::milliseconds>(delay, *r.retry_after);
    // A long wait is said even without -v, so that a quiet run is never a mystery: on the progress
    // line when there is one (show_waiting), else in a line of its own.
    if (o_.verbose || (delay >= kLongWait && !progress_->enabled())) {
      std::lock_guard lock(print_mutex_);
      if (progress_) progress_->clear();
      err_ << "retry: " << job.url << ": " << error << " (attempt " << job.attempts << "), waiting "
           << conc::format_duration(std::chrono::duration<double>(delay).count())
           << (r.retry_after ? " as the server asks (Retry-After)" : "") << "\n"
           << std::flush;
    }
    scheduler_.retry(grant.index, grant.host, Clock::now() + delay,
                     r.retry_after ? "Retry-After from " + grant.host : error);
    return;
  }
  if (r.verdict != Verdict::Ok && job.source + 1 < job.sources.size()) {
    // This URI has failed for good: the next mirror of the same file takes over.
    job.failed_sources += common::redact_urls(job.request()) + ": " + error + "; ";
    ++job.source;
    job.source_attempts = 0;
    if (o_.verbose) {
      std::lock_guard lock(print_mutex_);
      err_ << "mirror: " << job.url << ": " << error << "; trying " << common::redact_urls(job.request()) << "\n";
    }
    scheduler_.retry(grant.index, job.sources[job.source].host, Clock::now());
    return;
  }
  if (!job.failed_sources.empty()) {
    error = "all " + std::to_string(job.sources.size()) + " URIs failed: " + job.failed_sources +
            common::redact_urls(job.request()) + ": " + error;
  }
  Record rec{job.url,      job.path, r.verdict == Verdict::Ok ? "ok" : "failed", r.http_status, r.bytes, r.sha256,
             job.attempts, ""};
  rec.caption = job.caption;
  rec.columns = job.columns;
  if (r.verdict == Verdict::Ok) {
    rec.resumed_from = job.resumed_from;
    rec.resume_check = job.resume_check;
    if (!r.suggested_name.empty() && !job.named_by_list) rec.path = job.path = rename_as_suggested(job, r);
    ++ok_;
    bytes_ += r.bytes;
    progress_->add_bytes(r.bytes);
    if (o_.verbose) {
      std::lock_guard lock(print_mutex_);
      out_ << "ok " << job.url << " -> " << job.path << " (" << r.bytes << " bytes)\n";
    }
    record(rec);
  } else {
    rec.error = job.attempts > 1 ? error + " after " + std::to_string(job.attempts) + " attempts" : error;
    fail_record(rec, job.url);
  }
  ++settled_;
  progress_->advance(1, r.verdict != Verdict::Ok);
  job_done(grant.index);
}

std::string Run::rename_as_suggested(const Job& job, const AttemptResult& r) {
  const fs::path planned(job.path);
  const std::string wanted = (planned.parent_path() / r.suggested_name).string();
  if (wanted == job.path) return job.path;
  for (int attempt = 0;; ++attempt) {
    std::string name;
    {
      std::lock_guard lock(names_mutex_);
      std::error_code ec;
      do {
        name = names_.claim(wanted);
      } while (fs::exists(root_ / name, ec) || fs::exists(root_ / (name + ".part"), ec) ||
               fs::exists(validators_file(root_ / (name + ".part")), ec));
    }
    // Never over a file: another shard in the same folder may take the same name at the same moment.
    const fs::path from = root_ / job.path;
    const fs::path to = root_ / name;
    int rc = ::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE);
    if (rc != 0 && errno == EINVAL) rc = ::rename(from.c_str(), to.c_str());  // a filesystem without it
    if (rc == 0) return name;
    if (errno != EEXIST || attempt == 100) {
      say("note: " + job.url + ": kept as " + job.path + ", cannot rename it to " + name + ": " + std::strerror(errno));
      return job.path;
    }
  }
}

void Run::show_waiting() {
  if (!progress_ || !progress_->enabled()) return;
  const auto now = Clock::now();
  if (now - status_shown_ < std::chrono::milliseconds(250)) return;
  status_shown_ = now;
  // --low-speed replaces the stall limit (EasyHandle): the note then names none.
  const auto stall_limit = transfer_.low_speed_bytes > 0 ? std::chrono::seconds(0) : transfer_.stall_timeout;
  WaitFacts facts{scheduler_.waiting(), o_.per_host, o_.rate, false, stalls_.worst(), stall_limit};
  if (rate_) facts.rate_held = rate_->available() < 0;
  show_status(&Run::wait_text_, wait_status(facts, now));
}

void Run::show_status(std::string Run::*part, std::string text) {
  std::lock_guard lock(status_mutex_);
  this->*part = std::move(text);
  // The stages first (with --thumbnail), then what the run waits for.
  std::string status = stages_text_;
  if (!wait_text_.empty()) status += (status.empty() ? "" : "; ") + wait_text_;
  progress_->set_status(std::move(status));
}

// say(), fail_record() and record() are where every line of a run reaches stderr or the manifest:
// each redacts the credentials of any URL in it (common::redact_urls), whatever made the text.
void Run::say(const std::string& line) {
  const std::string text = common::redact_urls(line) + "\n";
  std::lock_guard lock(print_mutex_);
  if (progress_) progress_->clear();
  err_ << text << std::flush;
}

void Run::fail_record(const Record& r, const std::string& where, const ThumbnailFacts* thumbnail) {
  {
    const std::string line = common::redact_urls("error: " + where + ": " + r.error) + "\n";
    std::lock_guard lock(print_mutex_);
    if (progress_) progress_->clear();
    err_ << line << std::flush;
  }
  record(r, thumbnail);
  ++failed_;
}

void Run::record(const Record& given, const ThumbnailFacts* thumbnail) {
  Record r = given;
  r.url = common::redact_urls(r.url);
  r.error = common::redact_urls(r.error);
  // A failed line with thumbnail facts failed at its thumbnail, not its download.
  stats_.count(r, thumbnail != nullptr);
  if (manifest_->append(r, thumbnail)) return;
  const std::string reason = std::strerror(errno);
  {
    std::lock_guard lock(print_mutex_);
    if (progress_) progress_->clear();
    err_ << "error: " << r.url << ": cannot write the manifest: " << reason << "\n" << std::flush;
  }
  manifest_failed_ = true;
}

}  // namespace fetch
