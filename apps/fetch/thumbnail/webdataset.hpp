#pragma once
// WebDataset output: samples (an image and its JSON) packed into numbered tar shards, 00000.tar,
// 00001.tar, ..., each written under a temporary name and renamed when it holds its samples.
//
//   fetch::WebDatasetWriter tars(out, 10000, temporaries);
//   tars.on_tar_complete = [&](const auto& tar, const auto& keys) { manifest.done(keys); };
//   tars.add({.key = "000000123", .image_extension = "jpg", .image = jpeg, .json = facts});
//   tars.finish();
//
// A sample is durable only once its tar is complete: a writer destroyed before finish(), or one
// whose add() or finish() threw, removes its unfinished tar, and those samples are redone on resume.

#include <conc/fd.hpp>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "atomic_file.hpp"

struct archive;

namespace fetch {

struct WebDatasetSample {
  std::string key;              // the member names' stem: no '/' or '.', e.g. "000000123"
  std::string image_extension;  // without the dot, e.g. "jpg"
  std::string image;
  std::string json;
  std::optional<std::string> text{};  // KEY.txt, the caption, when there is one
};

// One thread uses a writer, and a folder has one writer at a time (the caller holds its lock).
class WebDatasetWriter {
 public:
  // Creates out if needed, removes the temporaries of `temporaries` a killed run left there (a tar
  // is written through one of their names; nobody else's file is ever removed), and starts at the
  // index after the highest complete NNNNN.tar already there, and at least at `first_index` (past
  // every tar an earlier run recorded, so that a lost tar's name is never given to other samples).
  WebDatasetWriter(std::filesystem::path out, std::size_t samples_per_tar, common::Temporaries temporaries,
                   std::size_t first_index = 0);
  ~WebDatasetWriter();
  WebDatasetWriter(const WebDatasetWriter&) = delete;
  WebDatasetWriter& operator=(const WebDatasetWriter&) = delete;

  // Appends KEY.<image_extension>, KEY.txt (when the sample has a text) and KEY.json; completes the tar when it holds
  // samples_per_tar. std::invalid_argument for a key or extension that is not a plain name; std::runtime_error naming
  // the file and the reason when writing fails.
  void add(const WebDatasetSample& sample);

  // Completes the last, partial tar, if it holds any sample.
  void finish();

  // Called after each tar is renamed to its final name, with the keys it holds in order.
  std::function<void(const std::filesystem::path& tar, const std::vector<std::string>& keys)> on_tar_complete;

 private:
  struct ArchiveFree {
    void operator()(archive* a) const noexcept;
  };

  void open_tar();
  [[nodiscard]] std::filesystem::path tar_path() const;
  void write_member(const std::string& name, const std::string& bytes);
  void complete_tar();
  void abandon_tar() noexcept;

  std::filesystem::path out_;
  std::size_t samples_per_tar_;
  common::Temporaries temporaries_;
  std::size_t index_ = 0;
  std::filesystem::path temp_;
  conc::Fd file_;
  std::unique_ptr<archive, ArchiveFree> archive_;
  std::vector<std::string> keys_;
};

}  // namespace fetch
