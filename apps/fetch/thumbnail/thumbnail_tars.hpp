#pragma once
// conc-fetch --thumbnail --output-format webdataset: thumbnails packed into NNNNN.tar shards by a
// thread of their own (WebDatasetWriter is used by one thread). A sample's manifest line is
// written only once its tar is complete, so a killed run never records a sample whose tar it lost.

#include <cstddef>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <conc/blocking_queue.hpp>

#include "store/manifest.hpp"
#include "thumbnail/webdataset.hpp"

namespace fetch {

class ThumbnailTars {
 public:
  // A sample's manifest line, waiting for its tar.
  struct Pending {
    Record record;
    ThumbnailFacts facts;
  };
  // Called on the writer's thread: with the tar's name (relative to out) when it is complete, or
  // with an empty name and the reason when it was lost.
  using Settled = std::function<void(std::vector<Pending>&& samples, const std::string& tar, const std::string& error)>;

  // At most `capacity` samples wait for the writer; add() blocks beyond (backpressure).
  // Settled gets each complete tar's path (out / NNNNN.tar); first_index: see WebDatasetWriter.
  ThumbnailTars(std::filesystem::path out, std::size_t samples_per_tar, std::size_t first_index, std::size_t capacity,
                common::Temporaries temporaries, Settled settled);
  ~ThumbnailTars();  // finish()
  ThumbnailTars(const ThumbnailTars&) = delete;
  ThumbnailTars& operator=(const ThumbnailTars&) = delete;

  void add(WebDatasetSample sample, Pending pending);
  // Writes what is queued, completes the last tar and stops the thread. Idempotent.
  void finish();

 private:
  void write_all();
  void open_writer();

  std::filesystem::path out_;
  std::size_t samples_per_tar_;
  std::size_t first_index_;
  common::Temporaries temporaries_;
  Settled settled_;
  conc::BlockingQueue<std::pair<WebDatasetSample, Pending>> queue_;
  std::optional<WebDatasetWriter> writer_;
  std::vector<Pending> in_tar_;  // the current tar's samples, in order
  std::thread thread_;
};

}  // namespace fetch
