#pragma once
// conc-fetch's options, as parsed from the command line.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/transfer_options.hpp"
#include "plan/table_list.hpp"
#include "shard.hpp"
#include "thumbnail/thumbnail_protocol.hpp"

namespace fetch {

enum class Layout { Flat, Host };
// threads: a pool of blocking easy handles; multi: one curl_multi event loop.
enum class Engine { Threads, Multi };
// What a URL's shard is decided by: the URL, or its host (one host's politeness limit then holds across shards).
enum class ShardBy { Url, Host };

// --output-format with --thumbnail: files under OUT, or WebDataset tar shards.
enum class OutputFormat { Files, WebDataset };

// --thumbnail: every body goes to a thumbnail worker in memory; the thumbnail is what is saved.
struct ThumbnailOptions {
  bool enabled = false;
  ThumbnailSpec spec;
  bool keep_originals = false;       // also save each body under OUT/originals/
  std::size_t workers = 0;           // thumbnail processes; 0: one per core
  std::chrono::seconds timeout{60};  // a thumbnail taking longer fails its URL
  OutputFormat output = OutputFormat::Files;
  std::size_t samples_per_tar = 10000;
  // Responses whose X-Robots-Tag holds one of these (lower case) are not kept (opted-out); empty: none.
  std::vector<std::string> disallowed_directives{"noai", "noimageai", "noindex", "noimageindex"};
  // The agent names an X-Robots-Tag may address (lower case), besides all agents: conc-fetch and
  // --user-agent-token.
  std::vector<std::string> agent_names{"conc-fetch"};
  std::string task = kThumbnailTask;             // the registered task; tests run the pipeline with a stand-in
  std::string worker;                            // the worker program (conc-fetch-thumbnailer); empty: this one
  std::chrono::milliseconds tar_write_delay{0};  // tests: a tar writer as slow as a busy disk, per sample
};

struct Options {
  std::string list;                    // URL list file; "-" or empty: stdin
  ListFormat input = ListFormat::Txt;  // --input-format, or what the list's name implies
  TableColumns columns;                // a table's URL, caption and saved columns
  std::string out = "downloads";
  unsigned jobs = 0;         // 0: auto (sized from the measured blocking coefficient)
  std::size_t per_host = 8;  // 0: no limit
  unsigned retries = 4;
  std::chrono::seconds retry_max_wait{60};  // a longer Retry-After fails the URL instead
  TransferOptions transfer;
  double rate = 0;  // bytes/s, 0: no cap
  Layout layout = Layout::Flat;
  Engine engine = Engine::Threads;
  bool skip_existing = false;
  bool force = false;
  bool verify = false;                 // a recorded file counts as done only if its SHA-256 still matches
  bool wait_lock = false;              // wait for another run on the same folder instead of exiting 2
  std::string manifest;                // empty: OUT/.conc-fetch.jsonl
  std::optional<common::Shard> shard;  // this run's part of the list; nothing: all of it
  ShardBy shard_by = ShardBy::Url;
  bool progress = true;
  bool verbose = false;
  ThumbnailOptions thumbnail;
};

}  // namespace fetch
