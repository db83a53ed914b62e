#pragma once
// conc-fetch --thumbnail --output-format webdataset: thumbnails packed into NNNNN.tar shards by a
// thread of their own (WebDatasetWriter is used by one thread). A sample's manifest line is
// written only once its tar is complete, so a killed run never records a sample whose tar it lost.
// add() never blocks (it is called on the thumbnail pool's manager thread): each sample holds its
// body's slot until it is written, so a writer that falls behind holds the downloads back. The
// records of the samples in the tar being written wait in a spool file beside it (a temporary of
// the output root), not in memory: a tar of 10,000 samples costs no more memory than one of 100.

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <conc/blocking_queue.hpp>

#include "store/manifest.hpp"
#include "thumbnail/thumbnail_stage.hpp"
#include "thumbnail/webdataset.hpp"

namespace fetch {

class ThumbnailTars {
 public:
  // A sample's manifest line, waiting for its tar.
  struct Pending {
    Record record;
    ThumbnailFacts facts;
  };
  // Called on the writer's thread, for a tar's samples in order, in one or more calls: with the
  // tar's name when it is complete, or with an empty name and the reason when it was lost.
  using Settled = std::function<void(std::vector<Pending>&& samples, const std::string& tar, const std::string& error)>;

  // Settled gets each complete tar's path (out / NNNNN.tar); first_index: see WebDatasetWriter.
  // write_delay: the writer waits this long before each sample (tests: a slow disk).
  ThumbnailTars(std::filesystem::path out, std::size_t samples_per_tar, std::size_t first_index,
                common::Temporaries temporaries, Settled settled, std::chrono::milliseconds write_delay = {});
  ~ThumbnailTars();  // finish()
  ThumbnailTars(const ThumbnailTars&) = delete;
  ThumbnailTars& operator=(const ThumbnailTars&) = delete;

  // Queues a sample; `slot` is freed once the sample is in its tar (or lost).
  void add(WebDatasetSample sample, Pending pending, BodySlot slot);
  // Writes what is queued, completes the last tar and stops the thread. Idempotent.
  void finish();

 private:
  void write_all();
  void open_writer();
  // The current tar's records: kept (in the spool file, else in memory), and handed to settled_.
  void hold(Pending&& pending);
  void settle_held(const std::string& tar, const std::string& error);

  std::filesystem::path out_;
  std::size_t samples_per_tar_;
  std::size_t first_index_;
  common::Temporaries temporaries_;
  Settled settled_;
  std::chrono::milliseconds write_delay_;
  struct Queued {
    WebDatasetSample sample;
    Pending pending;
    BodySlot slot;
  };
  conc::BlockingQueue<Queued> queue_;  // unbounded: the body slots its samples hold bound it
  std::optional<WebDatasetWriter> writer_;
  std::vector<Pending> in_tar_;  // the current tar's records the spool could not take, in order
  struct FileClose {
    void operator()(std::FILE* f) const noexcept { std::fclose(f); }
  };
  std::unique_ptr<std::FILE, FileClose> spool_;
  std::string spool_path_;
  std::size_t spooled_ = 0;  // records in the spool
  std::thread thread_;
};

}  // namespace fetch
