#include "run.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <oneapi/tbb/parallel_for_each.h>
#include <oneapi/tbb/task_arena.h>

#include <algorithm>
#include <chrono>
#include <conc/fd.hpp>
#include <conc/json_codec.hpp>
#include <conc/process_pool.hpp>
#include <conc/progress.hpp>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/core/utils/logger.hpp>
#include <optional>
#include <ostream>
#include <set>
#include <thread>

#include "atomic_file.hpp"
#include "freedesktop.hpp"
#include "gallery.hpp"
#include "name_text.hpp"
#include "plan.hpp"
#include "thumbnail.hpp"

template <>
struct conc::Codec<thumbs::ThumbJob> : conc::JsonCodec<thumbs::ThumbJob> {};
template <>
struct conc::Codec<thumbs::ThumbResult> : conc::JsonCodec<thumbs::ThumbResult> {};

namespace thumbs {

namespace {

// OpenCV logs through its logger and also writes decoder exceptions straight to std::cerr.
void quiet_opencv() {
  cv::setNumThreads(1);
  cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT);
}

// The process engine's task and worker setup: one OpenCV thread per worker process, and a
// worker's stderr goes nowhere (the parent prints the one line a failure deserves).
ThumbResult thumbnail_task(const ThumbJob& job) { return make_thumbnail(job); }
CONC_TASK(thumbnail_task);
int init_thumbnail_worker(int) {
  quiet_opencv();
  const conc::Fd null(::open("/dev/null", O_WRONLY | O_CLOEXEC));
  if (null) ::dup2(null.get(), STDERR_FILENO);
  return 0;
}
CONC_TASK(init_thumbnail_worker);

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr const char* kSoftware = "conc-thumbs " CONC_VERSION;

std::string display(std::string_view name) { return common::name_for_display(name); }

ThumbResult failure(std::string why) {
  ThumbResult r;
  r.error = std::move(why);
  return r;
}

ThumbJob job_for(const Entry& e, const Options& o, const Plan& plan) {
  ThumbJob job;
  job.source = e.source;
  job.temporaries = plan.token;
  for (std::size_t i = 0; i < e.outputs.size(); ++i) {
    const Rendition& rendition = plan.renditions.list[i];
    job.outputs.push_back({e.outputs[i], rendition.box, rendition.fit});
  }
  job.fit = o.fit;
  job.format = o.format;
  job.quality = o.quality;
  job.colour = o.colour;
  job.max_pixels = o.max_pixels;
  job.embedded_preview = o.embedded_preview;
  if (!o.freedesktop.empty()) {
    job.png_text = freedesktop::stamp_text(freedesktop::file_uri(e.source), e.mtime, e.bytes, kSoftware);
    job.private_files = true;
  }
  return job;
}

// Records one finished image: its entry, the progress bar and the error line.
class Collector {
 public:
  Collector(Plan& plan, const Options& options, std::size_t to_make, std::ostream& out, std::ostream& err,
            StateJournal* journal)
      : plan_(plan),
        journal_(journal),
        options_(options),
        out_(out),
        err_(err),
        progress_(to_make,
                  {.label = "thumbs",
                   .unit = "img",
                   .mode = options.progress ? conc::ProgressOptions::Mode::Auto : conc::ProgressOptions::Mode::Never}) {
  }

  void done(std::size_t index, const ThumbResult& r) {
    std::lock_guard lock(mutex_);
    Entry& e = plan_.entries[index];
    e.status = r.ok ? Status::Ok : Status::Failed;
    e.note = r.error;
    e.width = r.width;
    e.height = r.height;
    e.metadata = r.metadata;
    e.source_width = r.source_width;
    e.source_height = r.source_height;
    e.made_from = r.made_from;
    if (r.ok && journal_ != nullptr) {
      try {
        for (const std::string& output : e.outputs) journal_->made(output, e.identity);
      } catch (const std::exception&) {
        // The state is rewritten whole after the run; a lost line only costs a rebuild.
      }
    }
    if (!r.ok) {
      progress_.clear();
      err_ << "error: " << display(e.display) << ": " << r.error << "\n" << std::flush;
    } else if (options_.verbose) {
      out_ << "made " << display(e.display) << " -> " << display(e.outputs.front()) << " (" << r.width << "x"
           << r.height << ")\n";
    }
    progress_.advance(1, !r.ok);
  }

  void finish() { progress_.finish(); }

 private:
  Plan& plan_;
  StateJournal* journal_;  // nullptr: the desktop's cache, whose files are their own record
  const Options& options_;
  std::ostream& out_;
  std::ostream& err_;
  conc::Progress progress_;
  std::mutex mutex_;
};

void run_process(const std::vector<std::size_t>& todo, Plan& plan, const Options& o, unsigned jobs, Collector& c) {
  conc::ProcessPoolOptions pool_options{.workers = jobs};
  if (o.timeout_seconds > 0) {
    pool_options.task_timeout = std::chrono::milliseconds(static_cast<long long>(o.timeout_seconds * 1000));
  }
  pool_options.initializer = conc::task_call<init_thumbnail_worker>(0);
  conc::ProcessPool pool(pool_options);
  std::vector<ThumbJob> job_list;
  std::vector<std::size_t> sent;  // job_list[k] is plan.entries[sent[k]]
  job_list.reserve(todo.size());
  for (std::size_t i : todo) {
    ThumbJob job = job_for(plan.entries[i], o, plan);
    // A job that cannot become a message costs its source only, before the pool sees it.
    try {
      (void)conc::encode(job);
    } catch (const std::exception& e) {
      c.done(i, failure("cannot hand it to a worker: " + display(e.what())));
      continue;
    }
    job_list.push_back(std::move(job));
    sent.push_back(i);
  }
  // Small in-flight bound: workers are fed from one shared queue, never a fixed split.
  pool.imap_unordered<thumbnail_task>(
      job_list,
      [&](std::size_t k, conc::Outcome<ThumbResult> outcome) {
        c.done(sent[k], outcome ? *outcome : failure(display(outcome.error().what)));
      },
      4 * jobs);
}

// In this process: whatever one source throws costs that source, never the run.
ThumbResult make_here(const Entry& e, const Options& o, const Plan& plan) {
  try {
    return make_thumbnail(job_for(e, o, plan));
  } catch (const std::exception& ex) {
    return failure(display(ex.what()));
  } catch (...) {
    return failure("failed with an exception that says nothing");
  }
}

void run_thread(const std::vector<std::size_t>& todo, Plan& plan, const Options& o, unsigned jobs, Collector& c) {
  quiet_opencv();
  tbb::task_arena arena(static_cast<int>(jobs));
  arena.execute([&] {
    tbb::parallel_for_each(todo.begin(), todo.end(),
                           [&](std::size_t i) { c.done(i, make_here(plan.entries[i], o, plan)); });
  });
}

void run_serial(const std::vector<std::size_t>& todo, Plan& plan, const Options& o, Collector& c) {
  quiet_opencv();
  for (std::size_t i : todo) c.done(i, make_here(plan.entries[i], o, plan));
}

const char* engine_name(Engine e) {
  switch (e) {
    case Engine::Thread:
      return "thread";
    case Engine::Serial:
      return "serial";
    case Engine::Process:
      break;
  }
  return "process";
}

// The desktop cache's record of what failed: fail/conc-thumbs-VERSION/MD5(URI).png for each file
// that failed, here or in the plan (file managers then leave it alone until it changes), none for
// one made. A path that could not even be read is no file to record.
void record_failures(const Plan& plan, std::ostream& err, bool& run_failed) {
  const fs::path folder = plan.out_root / freedesktop::fail_folder(CONC_VERSION);
  for (const Entry& e : plan.entries) {
    if (e.status == Status::Skipped || e.status == Status::Pending || e.mtime == 0) continue;
    const std::string uri = freedesktop::file_uri(e.source);
    const fs::path entry = folder / freedesktop::thumbnail_name(uri);
    try {
      if (e.status == Status::Ok) {
        std::error_code ignored;
        fs::remove(entry, ignored);
      } else {
        freedesktop::make_private_folders(folder);
        freedesktop::write_failure(entry, freedesktop::stamp_text(uri, e.mtime, e.bytes, kSoftware));
      }
    } catch (const std::exception& ex) {
      err << "error: " << display(ex.what()) << "\n";
      run_failed = true;
    }
  }
}

void write_report(const std::string& path, const Plan& plan, const nlohmann::json& summary,
                  const common::Temporaries& temporaries, std::ostream& out) {
  nlohmann::json files = nlohmann::json::array();
  for (const Entry& e : plan.entries) {
    nlohmann::json f = {{"source", common::name_to_text(e.source)}, {"status", to_string(e.status)}};
    f["output"] = e.outputs.empty() ? nlohmann::json(nullptr) : nlohmann::json(common::name_to_text(e.outputs.front()));
    if (e.outputs.size() > 1) {
      f["outputs"] = nlohmann::json::array();
      for (const std::string& output : e.outputs) f["outputs"].push_back(common::name_to_text(output));
    }
    if (e.status == Status::Failed) f["error"] = e.note;
    if (e.status == Status::Skipped) f["reason"] = e.note;
    if (e.status == Status::Ok) {
      f["width"] = e.width;
      f["height"] = e.height;
      f["from"] = e.made_from;
      f.update(nlohmann::json(e.metadata));  // captured, camera, make, model, lens: those the source gives
    }
    files.push_back(std::move(f));
  }
  const std::string text =
      nlohmann::ordered_json{{"schema", kReportSchema}, {"summary", summary}, {"files", files}}.dump(2) + "\n";
  if (path == "-") {
    out << text << std::flush;
    return;
  }
  common::write_atomically(fs::absolute(path).string(), text, temporaries);
}

}  // namespace

int run(const Options& options, std::istream& paths_in, std::ostream& out, std::ostream& err) {
  const auto start = Clock::now();
  // When no input is there at all, nothing can be done and nothing is created: a usage error, as
  // conc-fetch's missing list is. (One missing input among others is a failed source.)
  if (std::none_of(options.inputs.begin(), options.inputs.end(), [](const std::string& input) {
        std::error_code ec;
        return input == "-" || fs::exists(fs::symlink_status(input, ec));
      })) {
    for (const std::string& input : options.inputs) {
      err << "error: " << common::name_for_display(input) << ": no such file or directory\n";
    }
    return 2;
  }
  Plan plan;
  try {
    plan = make_plan(options, paths_in);
  } catch (const UsageError& e) {
    err << "conc-thumbs: " << e.what() << " (see conc-thumbs --help)\n";
    return 2;
  }
  const unsigned jobs = options.jobs != 0 ? options.jobs : std::max(1u, std::thread::hardware_concurrency());
  bool run_failed = false;  // the state file or the gallery could not be written

  if (options.gallery && !options.dry_run) {
    const std::set<std::string> known = photos_with_facts(plan.out_root);
    for (Entry& e : plan.entries) {
      if (e.status == Status::Skipped && e.note == "up to date" && known.count(e.relative) == 0) {
        e.status = Status::Pending;
        e.note.clear();
      }
    }
  }
  std::vector<std::size_t> todo;
  for (std::size_t i = 0; i < plan.entries.size(); ++i) {
    const Entry& e = plan.entries[i];
    if (e.status == Status::Pending) todo.push_back(i);
    if (e.status == Status::Failed) err << "error: " << display(e.display) << ": " << e.note << "\n";
    if (e.status == Status::Skipped && e.note != "up to date")
      err << "note: " << display(e.display) << ": skipped, " << e.note << "\n";
  }
  for (const std::string& note : plan.notes) err << "note: " << note << "\n";
  // Largest files first: the long decodes start early, so no worker is left alone at the end
  // with a big one while the others idle.
  std::stable_sort(todo.begin(), todo.end(),
                   [&](std::size_t a, std::size_t b) { return plan.entries[a].bytes > plan.entries[b].bytes; });

  // The root's own temporaries: a later run of this root can prove a leftover one is its own.
  const common::Temporaries temporaries(plan.token);
  if (options.dry_run) {
    for (const Entry& e : plan.entries) {
      if (e.status == Status::Pending) {
        for (const std::string& o : e.outputs) out << display(e.display) << " -> " << display(o) << "\n";
      } else if (e.status == Status::Skipped) {
        out << display(e.display) << " (" << e.note << ")\n";
      }
    }
  } else {
    // The desktop's cache: folders of mode 0700, no state file (each thumbnail's stamp says whether
    // it is current), failure entries for the sources that fail.
    const bool cache = !options.freedesktop.empty();
    std::error_code ec;
    if (cache) {
      try {
        for (const std::string& size : options.freedesktop) {
          freedesktop::make_private_folders(plan.out_root / size);
        }
      } catch (const std::exception& e) {
        err << "conc-thumbs: " << display(e.what()) << "\n";
        return 2;
      }
    } else {
      fs::create_directories(plan.out_root, ec);
    }
    if (ec) {
      err << "conc-thumbs: " << display(plan.out_root.string()) << ": cannot create the output folder: " << ec.message()
          << "\n";
      return 2;
    }
    // Only this root's own temporaries (of its token; a shard has a token of its own, so the other
    // shards' are left alone), and only beside the planned outputs.
    std::vector<std::string> planned;
    for (const Entry& e : plan.entries) {
      planned.insert(planned.end(), e.outputs.begin(), e.outputs.end());
      // The pages are not always beside the thumbnails: OUT/a/index.html and x.jpg.html, OUT/512x512/a/x.jpg.
      if (options.gallery && !e.relative.empty()) {
        planned.push_back((plan.out_root / e.relative).parent_path().append("index.html").string());
      }
    }
    remove_stale_temporaries(plan.out_root, temporaries, planned);
    State state = plan.state;
    std::optional<StateJournal> journal;
    try {
      // The token is recorded before the run writes anything with it.
      if (!cache && state.signature != plan.signature) {
        state = State{plan.signature, plan.token, {}};
        write_state(plan.out_root, state, options.shard);
      } else if (!cache && (state.token != plan.token || !fs::exists(state_file(plan.out_root, options.shard)))) {
        state.token = plan.token;
        write_state(plan.out_root, state, options.shard);  // with what the shards made, in a run of the whole tree
      }
      if (!cache) journal.emplace(plan.out_root, options.shard);
    } catch (const std::exception& e) {
      err << "conc-thumbs: " << display(e.what()) << "\n";
      return 2;  // the output folder cannot be written, as when it cannot be created
    }
    Collector collector(plan, options, todo.size(), out, err, journal ? &*journal : nullptr);
    if (!todo.empty()) {
      switch (options.engine) {
        case Engine::Process:
          run_process(todo, plan, options, jobs, collector);
          break;
        case Engine::Thread:
          run_thread(todo, plan, options, jobs, collector);
          break;
        case Engine::Serial:
          run_serial(todo, plan, options, collector);
          break;
      }
    }
    collector.finish();
    // A worker killed while writing leaves its temporary behind; the run removes it, as the next
    // run would.
    remove_stale_temporaries(plan.out_root, temporaries, planned);
    if (cache) record_failures(plan, err, run_failed);
    // Compact the journal; a failed source keeps no thumbnail made with other options.
    for (std::size_t i : cache ? std::vector<std::size_t>{} : todo) {
      const Entry& e = plan.entries[i];
      for (const std::string& output : e.outputs) {
        const std::string relative = fs::path(output).lexically_relative(plan.out_root).string();
        if (e.status == Status::Ok) {
          state.made[relative] = e.identity;
        } else {
          state.made.erase(relative);
          std::error_code ignored;
          fs::remove(output, ignored);
        }
      }
    }
    // What the journal holds stays true if this fails: the summary is still said, and the exit code.
    try {
      if (!cache) write_state(plan.out_root, state, options.shard);
    } catch (const std::exception& e) {
      err << "error: " << display(e.what()) << "\n";
      run_failed = true;
    }
    if (options.gallery) {
      try {
        GalleryOptions gallery{.title = options.gallery_title,
                               .base_url = options.gallery_base_url,
                               .cell = options.sizes.front().width,
                               .double_size = plan.renditions.double_size,
                               .viewer = plan.renditions.viewer,
                               .sort = options.gallery_sort};
        if (!gallery.base_url.empty() && gallery.base_url.back() != '/') gallery.base_url += '/';
        const GalleryResult pages = write_gallery(plan, gallery, temporaries);
        if (options.verbose) {
          out << "gallery: " << pages.rewritten << " of " << pages.pages << " pages rewritten, " << pages.removed
              << " removed\n";
        }
      } catch (const std::exception& e) {
        err << "error: gallery: " << display(e.what()) << "\n";
        run_failed = true;
      }
    }
  }

  std::size_t made = 0;
  std::size_t skipped = 0;
  std::size_t failed = 0;
  for (const Entry& e : plan.entries) {
    made += e.status == Status::Ok;
    skipped += e.status == Status::Skipped;
    failed += e.status == Status::Failed;
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  char line[256];
  std::snprintf(line, sizeof line, "%s%zu made, %zu skipped, %zu failed in %.2f s (%.1f images/s, %s engine, %u jobs)",
                options.dry_run ? "dry run: " : "", made, skipped, failed, seconds,
                seconds > 0 ? static_cast<double>(made) / seconds : 0.0, engine_name(options.engine), jobs);
  std::string folders;
  if (const std::size_t n = plan.output_folders.size(); n != 0) {
    folders = "; " + std::to_string(n) + (n == 1 ? " output folder" : " output folders") + " skipped";
  }
  // One write, so that the lines of shards sharing a terminal do not interleave.
  err << (options.shard ? common::shard_tag(*options.shard) + ": " : std::string()) + line + folders + "\n";

  // A shard always leaves its report: conc-thumbs --summary reads them all.
  std::string report = options.report.empty() || options.report == "-"
                           ? options.report
                           : common::shard_file_name(options.report, options.shard);
  if (report.empty() && options.shard && !options.dry_run) {
    report = (plan.out_root / common::shard_file_name(kReportName, options.shard)).string();
  }
  if (!report.empty()) {
    const nlohmann::json summary = {{"total", plan.entries.size()},
                                    {"made", made},
                                    {"skipped", skipped},
                                    {"failed", failed},
                                    {"seconds", seconds},
                                    {"images_per_second", seconds > 0 ? static_cast<double>(made) / seconds : 0.0},
                                    {"engine", engine_name(options.engine)},
                                    {"jobs", jobs},
                                    {"output_root", common::name_to_text(plan.out_root.string())},
                                    {"output_folders_skipped", plan.output_folders.size()},
                                    {"dry_run", options.dry_run}};
    try {
      // A report in the output root (a shard's) goes through the root's temporaries, one elsewhere
      // through this process's.
      const bool in_root = fs::absolute(report).parent_path().lexically_normal() == plan.out_root;
      write_report(report, plan, summary, in_root ? temporaries : common::Temporaries::process(), out);
    } catch (const std::exception& e) {
      err << "error: " << display(report) << ": cannot write the report: " << display(e.what()) << "\n";
      return 1;
    }
  }
  return failed > 0 || run_failed ? 1 : 0;
}

}  // namespace thumbs
