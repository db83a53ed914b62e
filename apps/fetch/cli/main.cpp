// conc-fetch: downloads URL lists on the thread pool, resumably, and safely against hostile
// servers.

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <conc/task.hpp>
#include <cstring>
#include <fstream>
#include <iostream>

#include "cli.hpp"
#include "cli/options.hpp"
#include "cli/thumbnail_worker.hpp"
#include "cli/version.hpp"
#include "cli_values.hpp"
#include "completion.hpp"
#include "engine/resolve_entries.hpp"
#include "engine/trust_store.hpp"
#include "help_formatter.hpp"
#include "run.hpp"
#include "shard.hpp"
#include "store/summary.hpp"
#include "thumbnail/sample_json.hpp"

int main(int argc, char** argv) {
  conc::worker_main_if_requested(argc, argv);
  fetch::Options o;
  std::string jobs = "auto";
  std::string max_size;
  std::string rate;
  std::string low_speed;
  double timeout = 0;
  double connect_timeout = 30;
  double low_speed_time = 30;
  bool no_progress = false;

  CLI::App app{
      "conc-fetch: download a list of URLs, many at a time.\n"
      "Bodies stream to NAME.part and are renamed when whole and verified; a re-run resumes cut transfers with "
      "Range (only of the same file) and skips what the manifest records as done. More in conc-fetch(1)."};
  app.add_option("LIST", o.list,
                 "URL list, one per line (aria2 input files too), or a table (CSV, TSV, JSON Lines); - or absent: "
                 "stdin")
      ->type_name("FILE");
  std::string input_format;
  app.add_option("--input-format", input_format,
                 "txt (one URL a line, aria2's option lines too), aria2 (the same), or a table: csv, tsv or jsonl "
                 "(default: from the list's extension, .csv .tsv .jsonl; txt otherwise)")
      ->check(common::cli::one_of({"txt", "aria2", "csv", "tsv", "jsonl"}))
      ->option_text("txt|aria2|csv|tsv|jsonl");
  app.add_option("--url-col", o.columns.url, "with a table: the column of the URLs, default url")->option_text("NAME");
  app.add_option("--caption-col", o.columns.caption,
                 "with a table: the column of the captions (KEY.txt beside each thumbnail or in its tar)")
      ->option_text("NAME");
  app.add_option("--save-columns", o.columns.save,
                 "with a table: more columns to keep with each sample (in KEY.json and the manifest), A,B,...")
      ->delimiter(',')
      ->option_text("A,B,...");
  app.add_option("-o,--out", o.out, "output folder (default downloads/)");
  app.add_option("-j,--jobs", jobs,
                 "concurrent transfers: N, or auto (default: 256, growing towards 512 while more at once finish "
                 "more a second; the threads engine's pool sizes itself within that)");
  app.add_option("--per-host", o.per_host, "transfers at once per host, default 8 (0: no limit; over HTTP/2, streams)")
      ->check(common::cli::whole_number(0, 1'000'000));
  app.add_option("--retries", o.retries,
                 "retries after the first attempt, default 4 (backoff with jitter, Retry-After)")
      ->check(common::cli::whole_number(0, 1000));
  double retry_max_wait = 60;
  app.add_option("--retry-max-wait", retry_max_wait,
                 "longest Retry-After to wait for, in seconds, default 60 (a longer one fails the URL)")
      ->check(common::cli::seconds(false));
  app.add_option("--max-redirects", o.transfer.max_redirects, "redirects to follow, default 20")
      ->check(common::cli::whole_number(0, 1000));
  app.add_option("--timeout", timeout, "seconds for one attempt (default: none)")->check(common::cli::seconds(false));
  app.add_option("--connect-timeout", connect_timeout, "seconds to connect, default 30")
      ->check(common::cli::seconds(true));
  double stall_timeout = 60;
  app.add_option("--stall-timeout", stall_timeout,
                 "end an attempt that receives no byte for this many seconds, default 60 (0: never); it is "
                 "retried, resuming with Range")
      ->check(common::cli::seconds(false));
  app.add_option("--low-speed", low_speed,
                 "abort an attempt slower than BYTES/S for --low-speed-time seconds (replaces --stall-timeout)");
  app.add_option("--low-speed-time", low_speed_time, "seconds for --low-speed, default 30")
      ->check(common::cli::seconds(true));
  app.add_option("--max-size", max_size,
                 "refuse or abort bodies larger than this (k = 1024, M = 1024^2; with --thumbnail default 64M)");
  app.add_option("--rate", rate, "global bandwidth cap in bytes/s (k = 1024, M = 1024^2)");
  std::string layout = "flat";
  app.add_option("--layout", layout, "flat (default): OUT/NAME; host: OUT/HOST/PATH")
      ->check(common::cli::one_of({"flat", "host"}))
      ->option_text("flat|host");
  std::string engine = "threads";
  app.add_option("--engine", engine,
                 "threads (default): a pool of blocking transfers; multi: one curl_multi "
                 "event loop")
      ->check(common::cli::one_of({"threads", "multi"}))
      ->option_text("threads|multi");
  auto* skip = app.add_flag("--skip-existing", o.skip_existing, "skip URLs whose file already exists");
  app.add_flag("--force", o.force, "download everything again")->excludes(skip);
  app.add_flag("--verify", o.verify,
               "count a file recorded as done only if its SHA-256 still matches the manifest "
               "(without it: only if its size does)");
  app.add_flag("--wait-lock", o.wait_lock,
               "when another run is using the output folder, wait for it (default: exit 2)");
  app.add_option("--manifest", o.manifest,
                 "JSONL record, one line per URL, also the resume journal (default OUT/.conc-fetch.jsonl); - writes "
                 "it to standard output and resumes nothing");
  // One value per -H, so that the list after it is not taken as another header.
  app.add_option("-H,--header", o.transfer.headers, "extra request header 'Name: value', repeatable")
      ->allow_extra_args(false);
  app.add_option("-A,--user-agent", o.transfer.user_agent, "User-Agent (default conc-fetch/0.1)");
  std::string user_agent_token;
  app.add_option("--user-agent-token", user_agent_token,
                 "a name site owners can address: added to the User-Agent as (compatible; TOKEN), and an "
                 "X-Robots-Tag addressed to it counts as one to conc-fetch")
      ->check(CLI::Validator(
          [](std::string& value) -> std::string {
            const bool plain = !value.empty() && value.size() <= 64 &&
                               value.find_first_not_of(
                                   "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                                   "._+-/") == std::string::npos;
            return plain ? "" : "'" + value + "' is not a token (letters, digits and . _ + - /, at most 64)";
          },
          "", "token"))
      ->option_text("TOKEN");
  app.add_option("--proxy", o.transfer.proxy, "proxy URL");
  app.add_option("--resolve", o.transfer.resolve,
                 "connect to HOST:PORT at ADDRESS (or the first that answers of several, comma-separated) "
                 "instead of looking HOST up, as curl --resolve; repeatable")
      ->allow_extra_args(false)
      ->check(CLI::Validator(
          [](std::string& entry) { return fetch::resolve_entry_problem(entry).value_or(std::string()); }, "", ""));
  bool http1 = false;
  bool http2 = false;
  auto* http2_flag = app.add_flag("--http2", http2, "HTTP/2 over TLS where the server offers it: the default already");
  app.add_flag("--http1.1", http1, "use HTTP/1.1 only, also over TLS")->excludes(http2_flag);
  app.add_flag("--compressed", o.transfer.compressed,
               "ask for a compressed response (gzip, deflate, br, zstd) and save it decoded, as curl "
               "--compressed; such transfers are not resumed");
  app.add_flag("--content-disposition", o.transfer.content_disposition,
               "name each file as the server's Content-Disposition header says (kept inside --out, "
               "made unique; out= names win), as curl -J and wget --content-disposition");
  app.add_flag("--insecure", o.transfer.insecure, "do not verify TLS certificates");
  // Certificates and credentials, as curl takes them; none of them is ever written anywhere.
  std::string cacert;
  std::string capath;
  app.add_option("--cacert", cacert,
                 "CA certificates (PEM) to verify servers with, as curl; without it (or --capath): "
                 "CURL_CA_BUNDLE, else SSL_CERT_DIR, else SSL_CERT_FILE, else the system's");
  app.add_option("--capath", capath, "a folder of CA certificates (prepared by openssl rehash), as curl");
  app.add_option("-u,--user", o.transfer.user,
                 "USER[:PASSWORD] for the servers' authentication (Basic, ...); never written anywhere");
  app.add_flag("--netrc", o.transfer.netrc, "take user and password for each host from ~/.netrc (a URL's own win)");
  app.add_option("--netrc-file", o.transfer.netrc_file, "as --netrc, from this file");
  bool no_hash = false;
  app.add_flag("--no-hash", no_hash,
               "skip the SHA-256 of files that have no expected checksum (manifest sha256 empty)");
  std::string shard;
  std::size_t shard_count = 0;
  std::string summary;
  app.add_option("--shard", shard,
                 "I/N: download only shard I of N (from 0) of the list, by a stable hash of each URL; auto: "
                 "the shard mpirun, Slurm (array or srun) or a Kubernetes Indexed Job gives this process. "
                 "Names are planned for the whole list; the manifest is OUT/.conc-fetch.shard-IIII-of-NNNN.jsonl");
  app.add_option("--shard-count", shard_count,
                 "the number of shards (needed with --shard auto in a Kubernetes Indexed Job)")
      ->check(common::cli::whole_number(1, 1'000'000));
  std::string shard_by = "url";
  app.add_option("--shard-by", shard_by,
                 "url (default): each URL's hash picks its shard; host: each host's, so that --per-host holds "
                 "across shards")
      ->check(common::cli::one_of({"url", "host"}))
      ->option_text("url|host");
  app.add_option("--summary", summary,
                 "print the summary of every manifest in this folder (the whole list's and each shard's) with "
                 "the exit code one run would have had, and download nothing")
      ->configurable(false);
  std::string thumbnail;
  app.add_option("--thumbnail", thumbnail,
                 "make a WxH thumbnail (256x256, or 256 for a square) of every body in memory and save "
                 "that instead of the body (OUT/NAME with the thumbnail's extension)")
      ->option_text("WxH");
  app.add_option("--fit", o.thumbnail.spec.fit,
                 "with --thumbnail: contain (default: fit inside), shortest (the box's shorter side reached), cover "
                 "(fill and crop the centre), border (fit inside and pad to exactly WxH), fill (stretch) or none "
                 "(keep the size)")
      ->check(common::cli::one_of({"contain", "shortest", "cover", "border", "fill", "none"}));
  app.add_option("--border-colour", o.thumbnail.spec.border_colour,
                 "with --fit border: the padding's colour, black, white (default), grey, or RRGGBB in hex")
      ->check(CLI::Validator(
          [](std::string& value) -> std::string {
            try {
              common::parse_rgb(value);
              return "";
            } catch (const std::invalid_argument&) {
              return "'" + value + "' is not a colour (black, white, grey, or RRGGBB in hex)";
            }
          },
          "", "colour"))
      ->option_text("COLOUR");
  bool only_if_bigger = false;
  app.add_flag("--resize-only-if-bigger", only_if_bigger,
               "with --thumbnail: never enlarge an image smaller than the box (by default it is resized up "
               "to the box, as img2dataset does)");
  app.add_flag("--skip-reencode", o.thumbnail.spec.skip_reencode,
               "with --thumbnail: a JPEG the fit leaves at its own size (upright, sRGB or untagged) keeps its "
               "bytes instead of being encoded again");
  app.add_option("--min-image-size", o.thumbnail.spec.min_side,
                 "with --thumbnail: filter out images whose smaller side is under N pixels (from the header)")
      ->check(common::cli::whole_number(1, 1'000'000))
      ->option_text("N");
  app.add_option("--max-aspect-ratio", o.thumbnail.spec.max_aspect_ratio,
                 "with --thumbnail: filter out images whose longer side is more than R times the shorter")
      ->check(common::cli::number_at_least(1))
      ->option_text("R");
  std::string disallowed = "noai,noimageai,noindex,noimageindex";
  app.add_option("--disallowed-header-directives", disallowed,
                 "with --thumbnail: the X-Robots-Tag directives (for all agents, or for conc-fetch or "
                 "--user-agent-token) that opt an image out: not kept, recorded as opted-out; default "
                 "noai,noimageai,noindex,noimageindex; '' keeps everything")
      ->option_text("LIST");
  app.add_option("--format", o.thumbnail.spec.format,
                 "with --thumbnail: auto (keep JPEG/PNG/WebP, JPEG otherwise; the default into files), jpeg (the "
                 "default with --output-format webdataset: every sample a KEY.jpg, as img2dataset's), png or webp")
      ->check(common::cli::one_of({"auto", "jpeg", "jpg", "png", "webp"}));
  app.add_option("--quality", o.thumbnail.spec.quality, "with --thumbnail: JPEG/WebP quality, 1-100 (default 85)")
      ->check(common::cli::whole_number(1, 100));
  app.add_option("--max-pixels", o.thumbnail.spec.max_pixels,
                 "with --thumbnail: refuse images with more pixels, from their header (default 200000000)")
      ->check(common::cli::whole_number(1, 1'000'000'000'000));
  app.add_flag("--keep-originals", o.thumbnail.keep_originals,
               "with --thumbnail: also save each body as downloaded, under OUT/originals/");
  app.add_option("--thumbnail-workers", o.thumbnail.workers,
                 "with --thumbnail: thumbnail processes (default: one per core)")
      ->check(common::cli::whole_number(1, 4096));
  std::string output_format = "files";
  app.add_option("--output-format", output_format,
                 "with --thumbnail: files (default: OUT/NAME.jpg ...) or webdataset (OUT/00000.tar ..., "
                 "KEY.jpg + KEY.json per sample)")
      ->check(common::cli::one_of({"files", "webdataset"}))
      ->option_text("files|webdataset");
  app.add_option("--samples-per-tar", o.thumbnail.samples_per_tar,
                 "with --output-format webdataset: samples per tar, default 10000")
      ->check(common::cli::whole_number(1, 1'000'000'000));
  double thumbnail_timeout = 60;
  app.add_option("--thumbnail-timeout", thumbnail_timeout,
                 "with --thumbnail: seconds one thumbnail may take, default 60 (a hung decoder fails its URL)")
      ->check(common::cli::seconds(true));
  app.add_flag("--no-progress", no_progress, "no progress bar (it is shown only on a terminal anyway)");
  app.add_flag("-v,--verbose", o.verbose, "print every download and retry");
  app.set_version_flag("--version", fetch::version_text, "print the version and the libraries it uses, and exit");
  app.footer(
      "Examples:\n"
      "  conc-fetch urls.txt\n"
      "      into downloads/; a re-run resumes and skips what is done\n"
      "  conc-fetch -j 64 --per-host 4 --retries 8 -o flags flags.txt\n"
      "      many at a time, politely\n"
      "  cat urls.txt | conc-fetch -o out -\n"
      "      the list from stdin; downloads start while it is read\n"
      "  conc-fetch --cacert corp-ca.pem --netrc intranet-list.txt\n"
      "      a private CA, passwords from ~/.netrc (never written anywhere)\n"
      "  conc-fetch --thumbnail 256 --output-format webdataset -o shards urls.txt\n"
      "      a thumbnail of every image, packed into tars for training\n"
      "  conc-fetch --thumbnail 256 --fit border --caption-col caption images.tsv\n"
      "      a dataset from a table: each caption kept with its image\n"
      "  mpirun -np 16 conc-fetch --shard auto -o /shared/out list.txt\n"
      "      sixteen shards; then conc-fetch --summary /shared/out\n"
      "One run at a time per output folder. Exit codes: 0 all downloaded or done before, 1 some failed (the rest "
      "were downloaded), 2 usage error or the folder in use, 130 interrupted (a re-run resumes).");
  app.name("conc-fetch");
  common::cli::use_help_formatter(app);
  common::cli::add_completion_option(app, "conc-fetch");
  common::cli::add_config(app, "fetch.conf", argc, argv);
  common::cli::set_groups(
      app, {{"Input and output",
             {"--out DIR", "--layout", "--content-disposition", "--manifest FILE", "--skip-existing", "--force",
              "--verify", "--no-hash", "--wait-lock"}},
            {"Transfers",
             {"--jobs N|auto", "--per-host N", "--engine", "--retries N", "--retry-max-wait SECONDS",
              "--max-redirects N", "--timeout SECONDS", "--connect-timeout SECONDS", "--stall-timeout SECONDS",
              "--low-speed BYTES/S", "--low-speed-time SECONDS", "--max-size SIZE", "--rate SIZE/S", "--compressed",
              "--header 'NAME: VALUE'", "--user-agent TEXT"}},
            {"TLS, proxies and authentication",
             {"--cacert FILE", "--capath DIR", "--insecure", "--http2", "--http1.1", "--resolve HOST:PORT:ADDRESS",
              "--proxy URL", "--user USER[:PASSWORD]", "--netrc", "--netrc-file FILE"}},
            {"Thumbnails",
             {"--thumbnail WxH", "--fit", "--format", "--quality 1-100", "--max-pixels N", "--keep-originals",
              "--thumbnail-workers N", "--thumbnail-timeout SECONDS", "--output-format", "--samples-per-tar N",
              "--border-colour COLOUR", "--resize-only-if-bigger", "--skip-reencode"}},
            {"Tables and datasets",
             {"--input-format txt|aria2|csv|tsv|jsonl", "--url-col NAME", "--caption-col NAME",
              "--save-columns A,B,...", "--min-image-size N", "--max-aspect-ratio R",
              "--disallowed-header-directives LIST", "--user-agent-token TOKEN"}},
            {"Shards", {"--shard I/N|auto", "--shard-count N", "--shard-by", "--summary OUT"}},
            {"Messages and configuration",
             {"--no-progress", "--verbose", "--config", "--no-config", "--version", "--help"}}});
  if (const auto code = common::cli::parse(app, argc, argv, "conc-fetch", std::cout, std::cerr)) return *code;
  if (const auto missing = common::cli::missing_need(app, {{"--fit", "--thumbnail"},
                                                           {"--format", "--thumbnail"},
                                                           {"--quality", "--thumbnail"},
                                                           {"--max-pixels", "--thumbnail"},
                                                           {"--keep-originals", "--thumbnail"},
                                                           {"--thumbnail-workers", "--thumbnail"},
                                                           {"--thumbnail-timeout", "--thumbnail"},
                                                           {"--output-format", "--thumbnail"},
                                                           {"--samples-per-tar", "--output-format"},
                                                           {"--border-colour", "--fit"},
                                                           {"--resize-only-if-bigger", "--thumbnail"},
                                                           {"--skip-reencode", "--thumbnail"},
                                                           {"--min-image-size", "--thumbnail"},
                                                           {"--max-aspect-ratio", "--thumbnail"},
                                                           {"--disallowed-header-directives", "--thumbnail"},
                                                           {"--low-speed-time", "--low-speed"},
                                                           {"--shard-count", "--shard"},
                                                           {"--shard-by", "--shard"}})) {
    std::cerr << "conc-fetch: " << *missing << " (see conc-fetch --help)\n";
    return 2;
  }
  if (o.manifest == "-" && o.verbose) {
    std::cerr << "conc-fetch: --manifest - and --verbose both write to standard output (see conc-fetch --help)\n";
    return 2;
  }
  if (app.count("--samples-per-tar") > 0 && output_format != "webdataset") {
    std::cerr << "conc-fetch: --samples-per-tar has no effect without --output-format webdataset (see conc-fetch "
                 "--help)\n";
    return 2;
  }
  if (app.count("--border-colour") > 0 && o.thumbnail.spec.fit != "border") {
    std::cerr << "conc-fetch: --border-colour has no effect without --fit border (see conc-fetch --help)\n";
    return 2;
  }
  o.input = input_format.empty() ? fetch::list_format_for(o.list) : *fetch::parse_list_format(input_format);
  for (const char* option : {"--url-col", "--caption-col", "--save-columns"}) {
    if (app.count(option) > 0 && !fetch::is_table(o.input)) {
      std::cerr << "conc-fetch: " << option << " has no effect without a table (--input-format csv, tsv or jsonl, "
                << "or a .csv, .tsv or .jsonl list) (see conc-fetch --help)\n";
      return 2;
    }
  }
  // As img2dataset, a saved column may not take the name of a field conc-fetch writes itself.
  for (const std::string& column : o.columns.save) {
    for (const std::string_view own : fetch::kSampleFields) {
      if (column == own) {
        std::cerr << "conc-fetch: --save-columns: '" << column
                  << "' is a field conc-fetch writes itself (rename the column, or use --url-col or --caption-col)\n";
        return 2;
      }
    }
  }
  o.thumbnail.spec.enlarge = !only_if_bigger;
  o.thumbnail.disallowed_directives.clear();
  for (std::string_view rest = disallowed; !rest.empty();) {
    const auto comma = rest.find(',');
    std::string directive(rest.substr(0, comma));
    rest.remove_prefix(comma == std::string_view::npos ? rest.size() : comma + 1);
    directive.erase(0, directive.find_first_not_of(" \t"));
    directive.erase(directive.find_last_not_of(" \t") + 1);
    std::transform(directive.begin(), directive.end(), directive.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (!directive.empty()) o.thumbnail.disallowed_directives.push_back(directive);
  }
  if (!user_agent_token.empty()) {
    o.transfer.user_agent += " (compatible; " + user_agent_token + ")";
    std::string agent = user_agent_token;
    std::transform(agent.begin(), agent.end(), agent.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    o.thumbnail.agent_names.push_back(agent);
  }
  o.layout = layout == "host" ? fetch::Layout::Host : fetch::Layout::Flat;
  o.engine = engine == "multi" ? fetch::Engine::Multi : fetch::Engine::Threads;
  o.shard_by = shard_by == "host" ? fetch::ShardBy::Host : fetch::ShardBy::Url;
  o.thumbnail.output = output_format == "webdataset" ? fetch::OutputFormat::WebDataset : fetch::OutputFormat::Files;
  // A WebDataset's loaders ask for one extension (to_tuple("jpg", "json")): one format unless told.
  if (o.thumbnail.output == fetch::OutputFormat::WebDataset && app.count("--format") == 0) {
    o.thumbnail.spec.format = "jpeg";
  }
  if (!summary.empty()) return fetch::summarize(summary, o.manifest, std::cout, std::cerr);
  try {
    if (!shard.empty()) o.shard = common::resolve_shard(shard, shard_count, common::process_environment());
    o.jobs = common::parse_jobs(jobs);
    if (!max_size.empty()) o.transfer.max_size = common::parse_byte_limit(max_size, "--max-size");
    if (!rate.empty()) o.rate = common::parse_bytes(rate);
    if (!low_speed.empty()) o.transfer.low_speed_bytes = static_cast<long>(common::parse_bytes(low_speed));
  } catch (const std::exception& e) {
    std::cerr << "conc-fetch: " << e.what() << "\n";
    return 2;
  }
  o.retry_max_wait = std::chrono::seconds(static_cast<long long>(std::floor(std::min(retry_max_wait, 1e9))));
  o.transfer.timeout = std::chrono::seconds(static_cast<long long>(std::ceil(timeout)));
  o.transfer.connect_timeout = std::chrono::seconds(static_cast<long long>(std::ceil(connect_timeout)));
  o.transfer.low_speed_time = std::chrono::seconds(static_cast<long long>(std::ceil(low_speed_time)));
  o.transfer.stall_timeout = std::chrono::seconds(static_cast<long long>(std::ceil(std::min(stall_timeout, 1e9))));
  if (http1) o.transfer.http_version = fetch::HttpVersion::Http1_1;
  o.transfer.netrc = o.transfer.netrc || !o.transfer.netrc_file.empty();
  o.transfer.trust = fetch::resolve_trust_store(cacert, capath, common::process_environment());
  try {
    fetch::check_readable(o.transfer.trust);
    if (!o.transfer.netrc_file.empty() && ::access(o.transfer.netrc_file.c_str(), R_OK) != 0)
      throw std::runtime_error("--netrc-file " + o.transfer.netrc_file + ": " + std::strerror(errno));
  } catch (const std::exception& e) {
    std::cerr << "conc-fetch: " << e.what() << "\n";
    return 2;
  }
  // As curl does, the password leaves the command line that ps shows once it is read.
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    char* value = (arg == "-u" || arg == "--user") && i + 1 < argc ? argv[i + 1]
                  : arg.starts_with("--user=")                     ? argv[i] + 7
                  : arg.starts_with("-u") && arg.size() > 2        ? argv[i] + 2
                                                                   : nullptr;
    if (value != nullptr) std::memset(value, '*', std::strlen(value));
  }
  if (!thumbnail.empty()) {
    try {
      const common::BoxSize box = common::parse_box_size(thumbnail);
      o.thumbnail.spec.width = box.width;
      o.thumbnail.spec.height = box.height;
    } catch (const std::invalid_argument&) {
      std::cerr << "conc-fetch: --thumbnail " << thumbnail << ": expected WxH (256x256) or one size (256)\n";
      return 2;
    }
#ifdef CONC_FETCH_THUMBNAILS
    const std::optional<std::string> worker = fetch::find_thumbnail_worker();
    if (!worker) {
      std::string looked;
      for (const std::string& place : fetch::thumbnail_worker_candidates()) looked += " " + place;
      std::cerr << "conc-fetch: --thumbnail: its worker program " << fetch::kThumbnailWorker
                << " is not installed (looked for" << looked << ")\n";
      return 2;
    }
    o.thumbnail.worker = *worker;
#else
    std::cerr << "conc-fetch: --thumbnail: this conc-fetch was built without the imaging library "
                 "(CONC_BUILD_THUMBS=OFF)\n";
    return 2;
#endif
    o.thumbnail.enabled = true;
    if (o.thumbnail.spec.format == "jpg") o.thumbnail.spec.format = "jpeg";
    o.thumbnail.timeout = std::chrono::seconds(static_cast<long long>(std::ceil(thumbnail_timeout)));
    // Bodies are held in memory: without --max-size, one over 64 MiB fails its URL.
    if (max_size.empty()) o.transfer.max_size = std::uint64_t{64} << 20;
  }
  o.progress = !no_progress;
  o.transfer.hash = !no_hash;
  // A file stream on /dev/stdin, unlike std::cin, tells whether more of a piped list is ready yet,
  // so that downloads start before the list ends.
  // No list and nothing piped in: a person at a terminal is told how to start, not left waiting.
  if (o.list.empty() && ::isatty(STDIN_FILENO) == 1) {
    std::cerr << "usage: conc-fetch [OPTIONS] LIST   (LIST: a file of URLs, or - for stdin; --help for more)\n";
    return 2;
  }
  std::ifstream stdin_list;
  if (o.list.empty() || o.list == "-") stdin_list.open("/dev/stdin");
  return fetch::run(o, stdin_list.is_open() ? static_cast<std::istream&>(stdin_list) : std::cin, std::cout, std::cerr);
}
