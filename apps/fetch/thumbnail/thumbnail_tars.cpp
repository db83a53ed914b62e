#include "thumbnail/thumbnail_tars.hpp"

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
    settled_(std::exchange(in_tar_, {}), tar.string(), "");
  };
}

void ThumbnailTars::add(WebDatasetSample sample, Pending pending, BodySlot slot) {
  queue_.put(Queued{std::move(sample), std::move(pending), std::move(slot)});
}

void ThumbnailTars::write_all() {
  // A tar that cannot be written loses its samples (said, and redone by the next run); the next
  // tar is tried afresh.
  auto lost = [&](const std::exception& e) {
    settled_(std::exchange(in_tar_, {}), "", std::string("cannot write the WebDataset tar: ") + e.what());
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
    in_tar_.push_back(std::move(pending));
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
}

}  // namespace fetch
