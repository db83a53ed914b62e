#include "thumbnail/thumbnail_tars.hpp"

#include <unistd.h>

#include <cstdlib>

namespace fetch {

ThumbnailTars::ThumbnailTars(std::filesystem::path out, std::size_t samples_per_tar, std::size_t first_index,
                             common::Temporaries temporaries, Settled settled, std::chrono::milliseconds write_delay)
    : out_(std::move(out)),
      samples_per_tar_(samples_per_tar),
      first_index_(first_index),
      temporaries_(std::move(temporaries)),
      settled_(std::move(settled)),
      write_delay_(write_delay) {
  open_writer();
  thread_ = std::thread([this] { write_all(); });
}

ThumbnailTars::~ThumbnailTars() { finish(); }

void ThumbnailTars::open_writer() {
  writer_.emplace(out_, samples_per_tar_, temporaries_, first_index_);
  writer_->on_tar_complete = [this](const std::filesystem::path& tar, const std::vector<std::string>&) {
    settle_held(tar.string(), "");
  };
}

void ThumbnailTars::hold(Pending&& pending) {
  if (!spool_ && spool_path_.empty()) {
    // Opened once, after the writer removed what killed runs left; a killed run's spool goes the same way.
    spool_path_ = temporaries_.beside((out_ / "samples.jsonl").string());
    spool_.reset(std::fopen(spool_path_.c_str(), "w+xe"));
  }
  if (spool_) {
    const std::string line = to_json_line(pending.record, &pending.facts) + "\n";
    if (std::fwrite(line.data(), 1, line.size(), spool_.get()) == line.size()) {
      ++spooled_;
      return;
    }
  }
  in_tar_.push_back(std::move(pending));  // no room on disk: in memory then
}

void ThumbnailTars::settle_held(const std::string& tar, const std::string& error) {
  constexpr std::size_t kBatch = 256;
  std::vector<Pending> batch;
  if (spool_ && spooled_ > 0 && std::fflush(spool_.get()) == 0 && std::fseek(spool_.get(), 0, SEEK_SET) == 0) {
    char* buffer = nullptr;
    std::size_t capacity = 0;
    for (std::size_t i = 0; i<spooled_&& ::getline(&buffer, &capacity, spool_.get())> 0; ++i) {
      if (auto r = parse_manifest_line(buffer)) batch.push_back({std::move(r->record), std::move(*r->thumbnail)});
      if (batch.size() == kBatch) settled_(std::exchange(batch, {}), tar, error);
    }
    std::free(buffer);
  }
  if (spool_) {
    std::rewind(spool_.get());
    if (::ftruncate(::fileno(spool_.get()), 0) != 0) spool_.reset();
  }
  spooled_ = 0;
  for (Pending& p : in_tar_) batch.push_back(std::move(p));
  in_tar_.clear();
  if (!batch.empty()) settled_(std::move(batch), tar, error);
}

void ThumbnailTars::add(WebDatasetSample sample, Pending pending, BodySlot slot) {
  queue_.put(Queued{std::move(sample), std::move(pending), std::move(slot)});
}

void ThumbnailTars::write_all() {
  // A tar that cannot be written loses its samples (said, and redone by the next run); the next
  // tar is tried afresh.
  auto lost = [&](const std::exception& e) {
    settle_held("", std::string("cannot write the WebDataset tar: ") + e.what());
    try {
      open_writer();
    } catch (const std::exception&) {
      writer_.reset();
    }
  };
  while (auto item = queue_.get()) {  // its body's slot is freed at the end of each turn
    if (write_delay_.count() > 0) std::this_thread::sleep_for(write_delay_);
    auto& [sample, pending, slot] = *item;
    if (!writer_) {
      settled_({std::move(pending)}, "", "cannot write the WebDataset tars in " + out_.string());
      continue;
    }
    hold(std::move(pending));
    try {
      writer_->add(sample);
    } catch (const std::exception& e) {
      lost(e);
    }
  }
  if (!writer_) return;
  try {
    writer_->finish();
  } catch (const std::exception& e) {
    lost(e);
  }
}

void ThumbnailTars::finish() {
  if (!thread_.joinable()) return;
  queue_.close();
  thread_.join();
  writer_.reset();
  spool_.reset();
  if (!spool_path_.empty()) ::unlink(spool_path_.c_str());
}

}  // namespace fetch
