// conc-thumbs: thumbnails whole photo folders on all cores, with a crashing or hanging
// decoder costing one file, never the run.

#include <CLI/CLI.hpp>
#include <algorithm>
#include <conc/task.hpp>
#include <iostream>

#include "cli.hpp"
#include "cli_values.hpp"
#include "completion.hpp"
#include "freedesktop.hpp"
#include "help_formatter.hpp"
#include "library_versions.hpp"
#include "name_text.hpp"
#include "options.hpp"
#include "run.hpp"
#include "shard.hpp"
#include "summary.hpp"

int main(int argc, char** argv) try {
  conc::worker_main_if_requested(argc, argv);

  thumbs::Options o;
  std::vector<std::string> sizes;
  std::string fit = "contain";
  std::string format = "auto";
  std::string colour = "srgb";
  std::string jobs = "auto";
  std::string engine = "process";
  bool no_progress = false;

  CLI::App app{
      "conc-thumbs: thumbnail whole photo folders on every core.\n"
      "Images are recognised by content (JPEG, PNG, WebP, TIFF, GIF, HEIC, AVIF, BMP, camera RAW) and made "
      "sRGB; the folder tree is mirrored under the output root; thumbnails already up to date are skipped, so an "
      "interrupted run "
      "resumes where it stopped. More in conc-thumbs(1)."};
  std::string summary;
  auto* summary_option =
      app.add_option("--summary", summary,
                     "print the summary of every shard's report in this output root (and the whole tree's) with the "
                     "exit code one run would have had, and make nothing")
          ->configurable(false);
  // Required, except with --summary.
  app.add_option("INPUT", o.inputs, "folders (recursed), image files, or - to read paths from stdin")
      ->type_name("PATH")
      ->excludes(summary_option);
  std::string shard;
  std::size_t shard_count = 0;
  app.add_option("--shard", shard,
                 "I/N: make only shard I of N (from 0) of the sources, by a stable hash of each one's path "
                 "below its input; auto: the shard mpirun, Slurm (array or srun) or a Kubernetes Indexed Job "
                 "gives this process. The state file and report carry the shard in their names");
  app.add_option("--shard-count", shard_count,
                 "the number of shards (needed with --shard auto in a Kubernetes Indexed Job)")
      ->check(common::cli::whole_number(1, 1'000'000));
  app.add_flag("-0,--null", o.null_separated, "paths on stdin end with NUL, not newline (find -print0)");
  app.add_option("--root", o.root,
                 "place paths read from stdin below OUT by their path below DIR (default: relative paths below the "
                 "current folder, absolute ones by their whole path)")
      ->type_name("DIR");
  app.add_option("-o,--out", o.out, "output root (default: INPUT/thumbs when INPUT is a single folder)");
  // One value per -s, so that the folder after it is not taken as another size.
  app.add_option("-s,--size", sizes, "bounding box WxH or N (default 75x75); repeat for several sizes (OUT/WxH/...)")
      ->allow_extra_args(false);
  app.add_option("--fit", fit,
                 "contain (default): fit inside, never upscale; cover: fill and crop the centre; "
                 "fill: exact size")
      ->check(common::cli::one_of({"contain", "cover", "fill"}));
  app.add_option("-f,--format", format, "auto (keep JPEG/PNG/WebP, JPEG otherwise), jpeg, png or webp")
      ->check(common::cli::one_of({"auto", "jpeg", "jpg", "png", "webp"}));
  app.add_option("--colour", colour,
                 "srgb (default): convert embedded profiles to sRGB; keep: keep the source's colour "
                 "space and embed its profile")
      ->check(common::cli::one_of({"srgb", "keep"}));
  app.add_flag("--embedded-preview", o.embedded_preview,
               "make a JPEG's thumbnail from its EXIF thumbnail or MPF preview, a HEIF's from its own "
               "thumbnail, when one is at least twice the box and has the photo's aspect ratio (off by default: "
               "an edited photo can keep a stale preview; a RAW's preview is always used)");
  std::vector<std::string> freedesktop;
  app.add_option("--freedesktop", freedesktop,
                 "write the thumbnails into the desktop's cache, where file managers look "
                 "($XDG_CACHE_HOME/thumbnails/SIZE/, by the freedesktop.org Thumbnail Managing Standard): normal "
                 "(128), large (256), x-large (512) or xx-large (1024); repeat for several")
      ->allow_extra_args(false)
      ->check(common::cli::one_of({"normal", "large", "x-large", "xx-large"}));
  app.add_option("-q,--quality", o.quality, "JPEG/WebP quality, 1-100 (default 85)")
      ->check(common::cli::whole_number(1, 100));
  app.add_option("-j,--jobs", jobs, "worker processes: N or auto (= cores, the default)");
  app.add_option("--engine", engine, "process (default; a crashing decoder costs one file), thread (oneTBB) or serial")
      ->check(common::cli::one_of({"process", "thread", "serial"}));
  app.add_option("--timeout", o.timeout_seconds, "seconds per image before its worker is killed (process engine)")
      ->check(common::cli::seconds(false));
  app.add_option("--max-pixels", o.max_pixels, "refuse larger images (default 200000000)")
      ->check(common::cli::whole_number(1, 1'000'000'000'000));
  app.add_flag("--force", o.force, "rebuild thumbnails even when up to date");
  app.add_flag("--dry-run", o.dry_run, "print the plan, write nothing");
  app.add_option("--report", o.report,
                 "write a JSON report: {\"summary\": {...}, \"files\": [...]}; - writes it to standard output");
  app.add_flag("--no-progress", no_progress, "no progress bar (it is shown only on a terminal anyway)");
  app.add_flag("-v,--verbose", o.verbose, "print every thumbnail made");
  app.add_flag("--gallery", o.gallery,
               "also write an album: OUT/index.html and one index.html per subfolder (a square grid of the "
               "thumbnails, 1x and 2x), and a page per photo with a 1600-pixel view, previous and next, its date "
               "and camera and a link to the original");
  app.add_option("--title", o.gallery_title, "the gallery's title (default Photos)");
  std::string sort = "name";
  app.add_option("--sort", sort, "the gallery's order: name (default) or date (taken, else the file's time)")
      ->check(common::cli::one_of({"name", "date"}));
  app.add_option("--base-url", o.gallery_base_url,
                 "link originals as BASE_URL + their path below the input folder instead of relatively");
  app.set_version_flag(
      "--version",
      [] {
        return "conc-thumbs " CONC_VERSION "\nFormats: " + imaging::readable_formats() + "\n" +
               common::cli::listing(imaging::library_versions());
      },
      "print the version and the libraries it uses, and exit");
  app.footer(
      "Examples:\n"
      "  conc-thumbs photos/\n"
      "      75x75 thumbnails in photos/thumbs/\n"
      "  conc-thumbs -s 128 -s 512 --fit cover -o out a/ b/\n"
      "      two sizes, cropped to fill: out/128x128/..., out/512x512/...\n"
      "  find photos -name '*.jpg' -print0 | conc-thumbs -0 -o web -\n"
      "      the files find names, whatever their names, their tree kept below web/\n"
      "  conc-thumbs --gallery --title Holidays -s 256 -o web photos/\n"
      "      an album: open web/index.html\n"
      "  conc-thumbs --embedded-preview -s 160 camera/\n"
      "      from the previews the photos carry, when they serve\n"
      "  conc-thumbs --freedesktop normal --freedesktop large ~/Pictures\n"
      "      into the desktop's thumbnail cache, for the file manager\n"
      "  mpirun -np 8 conc-thumbs --shard auto -o /shared/thumbs /shared/photos\n"
      "      eight shards; then conc-thumbs --summary /shared/thumbs\n"
      "Exit codes: 0 all made or up to date, 1 some failed (the rest were made), 2 usage error.");
  app.name("conc-thumbs");
  common::cli::use_help_formatter(app);
  common::cli::add_completion_option(app, "conc-thumbs");
  common::cli::add_config(app, "thumbs.conf", argc, argv);
  common::cli::set_groups(
      app,
      {{"Input and output", {"--out DIR", "--null", "--root DIR", "--freedesktop SIZE", "--force", "--dry-run"}},
       {"Thumbnails",
        {"--size WxH", "--fit", "--format", "--quality 1-100", "--colour", "--embedded-preview", "--max-pixels N"}},
       {"Running", {"--jobs N|auto", "--engine", "--timeout SECONDS", "--no-progress", "--verbose"}},
       {"Gallery", {"--gallery", "--title TEXT", "--sort", "--base-url URL"}},
       {"Shards", {"--shard I/N|auto", "--shard-count N", "--summary OUT"}},
       {"Reports and configuration", {"--report FILE", "--config", "--no-config", "--version", "--help"}}});
  if (const auto code = common::cli::parse(app, argc, argv, "conc-thumbs", std::cout, std::cerr)) return *code;
  const auto usage_error = [](const std::string& sentence) {
    std::cerr << "conc-thumbs: " << sentence << " (see conc-thumbs --help)\n";
    return 2;
  };
  if (const auto missing = common::cli::missing_need(app, {{"--title", "--gallery"},
                                                           {"--base-url", "--gallery"},
                                                           {"--sort", "--gallery"},
                                                           {"--shard-count", "--shard"}})) {
    return usage_error(*missing);
  }
  if (!freedesktop.empty()) {
    for (const char* other : {"--out", "--size", "--fit", "--format", "--gallery", "--shard"}) {
      if (app.count(other) > 0) {
        return usage_error(std::string("--freedesktop writes into the desktop's cache, by its own sizes, names and "
                                       "format: it does not go with ") +
                           other);
      }
    }
  }
  if (app.count("--timeout") > 0 && engine != "process") {
    return usage_error("--timeout works only with --engine process (a thread cannot be stopped in a hung decoder)");
  }
  if (app.count("--jobs") > 0 && engine == "serial")
    std::cerr << "warning: --jobs has no effect with --engine serial\n";
  if (o.report == "-" && (o.verbose || o.dry_run)) {
    return usage_error(std::string("--report - and ") + (o.verbose ? "--verbose" : "--dry-run") +
                       " both write to standard output");
  }
  if (!summary.empty()) return thumbs::summarize(summary, o.report, std::cout, std::cerr);
  if (argc == 1) {
    std::cerr << "usage: conc-thumbs [OPTIONS] INPUT...   (folders, image files, or - for paths on stdin; --help for "
                 "more)\n";
    return 2;
  }
  if (o.inputs.empty()) return usage_error("no INPUT: name folders or image files, or - to read paths from stdin");

  try {
    if (!sizes.empty()) {
      o.sizes.clear();
      for (const std::string& s : sizes) o.sizes.push_back(imaging::parse_box(s));
    }
    o.fit = imaging::parse_fit(fit);
    o.format = imaging::parse_output_format(format);
    o.colour = imaging::parse_colour(colour);
    o.jobs = common::parse_jobs(jobs, 4096);
    if (!freedesktop.empty()) {
      o.sizes.clear();
      for (const std::string& name : freedesktop) {
        if (std::find(o.freedesktop.begin(), o.freedesktop.end(), name) != o.freedesktop.end()) continue;
        const int pixels = thumbs::freedesktop::cache_size(name)->pixels;
        o.freedesktop.push_back(name);
        o.sizes.push_back({pixels, pixels});
      }
      o.format = imaging::OutputFormat::Png;
      o.fit = imaging::Fit::Contain;
      o.out = thumbs::freedesktop::cache_root(common::process_environment()).string();
    }
    if (!shard.empty()) o.shard = common::resolve_shard(shard, shard_count, common::process_environment());
    if (o.shard && o.gallery) {
      throw std::runtime_error(
          "--gallery shows the whole tree: run it once without --shard after the shards (it makes only what "
          "they did not)");
    }
  } catch (const std::exception& e) {
    std::cerr << "conc-thumbs: " << e.what() << "\n";
    return 2;
  }
  o.engine = engine == "thread"   ? thumbs::Engine::Thread
             : engine == "serial" ? thumbs::Engine::Serial
                                  : thumbs::Engine::Process;
  o.gallery_sort = sort == "date" ? thumbs::GallerySort::Date : thumbs::GallerySort::Name;
  o.progress = !no_progress;
  return thumbs::run(o, std::cin, std::cout, std::cerr);
} catch (const std::exception& e) {
  std::cerr << "conc-thumbs: stopped: " << common::name_for_display(e.what()) << "\n";
  return 1;
} catch (...) {
  std::cerr << "conc-thumbs: stopped by an exception that says nothing\n";
  return 1;
}
