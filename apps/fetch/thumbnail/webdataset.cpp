#include "thumbnail/webdataset.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <stdexcept>
#include <string_view>
#include <utility>

#include "atomic_file.hpp"

namespace fs = std::filesystem;

namespace fetch {

namespace {

// "00042.tar" -> 42; npos for anything else.
std::size_t tar_index(const std::string& name) {
  constexpr std::string_view suffix = ".tar";
  if (name.size() < 5 + suffix.size() || !name.ends_with(suffix)) return std::string::npos;
  const std::string digits = name.substr(0, name.size() - suffix.size());
  if (digits.find_first_not_of("0123456789") != std::string::npos || digits.size() > 18) return std::string::npos;
  return std::stoull(digits);
}

// A member name's stem or extension: one plain path component with no dot, so that every
// reader (Python's tarfile, the webdataset loader) groups KEY.jpg and KEY.json into one sample.
void check_name_part(const std::string& part, const char* what) {
  if (part.empty()) throw std::invalid_argument(std::string("empty WebDataset ") + what);
  for (const char c : part) {
    if (c == '/' || c == '.' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      throw std::invalid_argument(std::string("WebDataset ") + what + " '" + part +
                                  "' is not a plain name (no '/', '.' or control characters)");
    }
  }
}

std::string archive_reason(archive* a) {
  if (const int err = archive_errno(a); err > 0) return std::strerror(err);
  if (const char* text = archive_error_string(a); text != nullptr) return text;
  return "unknown libarchive error";
}

struct EntryFree {
  void operator()(archive_entry* e) const noexcept { archive_entry_free(e); }
};

}  // namespace

void WebDatasetWriter::ArchiveFree::operator()(archive* a) const noexcept { archive_write_free(a); }

WebDatasetWriter::WebDatasetWriter(fs::path out, std::size_t samples_per_tar, common::Temporaries temporaries,
                                   std::size_t first_index)
    : out_(std::move(out)),
      samples_per_tar_(samples_per_tar),
      temporaries_(std::move(temporaries)),
      index_(first_index) {
  if (samples_per_tar_ == 0) throw std::invalid_argument("samples per tar must be at least 1");
  std::error_code ec;
  fs::create_directories(out_, ec);
  if (ec) throw std::runtime_error("cannot create " + out_.string() + ": " + ec.message());
  std::vector<fs::path> stale;
  fs::directory_iterator it(out_, ec);
  if (ec) throw std::runtime_error("cannot read " + out_.string() + ": " + ec.message());
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    const std::size_t index = tar_index(name);
    if (index != std::string::npos) {
      index_ = std::max(index_, index + 1);
    } else if (std::error_code type_ec;
               temporaries_.is_ours(name) && !it->is_symlink(type_ec) && it->is_regular_file(type_ec)) {
      stale.push_back(it->path());
    }
  }
  if (ec) throw std::runtime_error("cannot read " + out_.string() + ": " + ec.message());
  for (const auto& path : stale) fs::remove(path, ec);
}

WebDatasetWriter::~WebDatasetWriter() { abandon_tar(); }

fs::path WebDatasetWriter::tar_path() const {
  char name[32];
  std::snprintf(name, sizeof name, "%05zu.tar", index_);
  return out_ / name;
}

void WebDatasetWriter::add(const WebDatasetSample& sample) {
  check_name_part(sample.key, "key");
  check_name_part(sample.image_extension, "image extension");
  try {
    if (!archive_) open_tar();
    write_member(sample.key + "." + sample.image_extension, sample.image);
    if (sample.text) write_member(sample.key + ".txt", *sample.text);
    write_member(sample.key + ".json", sample.json);
  } catch (...) {
    abandon_tar();
    throw;
  }
  keys_.push_back(sample.key);
  if (keys_.size() >= samples_per_tar_) complete_tar();
}

void WebDatasetWriter::finish() {
  if (archive_ && !keys_.empty()) complete_tar();
}

void WebDatasetWriter::open_tar() {
  const fs::path final_path = tar_path();
  temp_ = temporaries_.beside(final_path.string());
  file_.reset(::open(temp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!file_) {
    const int err = errno;
    temp_.clear();
    throw std::runtime_error("cannot write " + final_path.string() + ": " + std::strerror(err));
  }
  archive_.reset(archive_write_new());
  if (!archive_) throw std::runtime_error("cannot write " + final_path.string() + ": out of memory");
  // pax_restricted writes plain ustar headers and adds a pax header only for what ustar cannot hold.
  if (archive_write_set_format_pax_restricted(archive_.get()) != ARCHIVE_OK ||
      archive_write_add_filter_none(archive_.get()) != ARCHIVE_OK ||
      archive_write_open_fd(archive_.get(), file_.get()) != ARCHIVE_OK) {
    throw std::runtime_error("cannot write " + final_path.string() + ": " + archive_reason(archive_.get()));
  }
}

void WebDatasetWriter::write_member(const std::string& name, const std::string& bytes) {
  std::unique_ptr<archive_entry, EntryFree> entry(archive_entry_new());
  if (!entry) throw std::runtime_error("cannot write " + tar_path().string() + ": out of memory");
  archive_entry_set_pathname(entry.get(), name.c_str());
  archive_entry_set_size(entry.get(), static_cast<la_int64_t>(bytes.size()));
  archive_entry_set_filetype(entry.get(), AE_IFREG);
  archive_entry_set_perm(entry.get(), 0644);
  archive_entry_set_mtime(entry.get(), std::time(nullptr), 0);
  if (archive_write_header(archive_.get(), entry.get()) != ARCHIVE_OK) {
    throw std::runtime_error("cannot write " + tar_path().string() + ": " + archive_reason(archive_.get()));
  }
  std::size_t done = 0;
  while (done < bytes.size()) {
    const la_ssize_t n = archive_write_data(archive_.get(), bytes.data() + done, bytes.size() - done);
    if (n <= 0) {
      throw std::runtime_error("cannot write " + tar_path().string() + ": " + archive_reason(archive_.get()));
    }
    done += static_cast<std::size_t>(n);
  }
}

void WebDatasetWriter::complete_tar() {
  const fs::path final_path = tar_path();
  try {
    if (archive_write_close(archive_.get()) != ARCHIVE_OK) {
      throw std::runtime_error("cannot write " + final_path.string() + ": " + archive_reason(archive_.get()));
    }
    archive_.reset();
    if (!file_.close() || ::rename(temp_.c_str(), final_path.c_str()) != 0) {
      throw std::runtime_error("cannot write " + final_path.string() + ": " + std::strerror(errno));
    }
  } catch (...) {
    abandon_tar();
    throw;
  }
  temp_.clear();
  ++index_;
  const std::vector<std::string> keys = std::exchange(keys_, {});
  if (on_tar_complete) on_tar_complete(final_path, keys);
}

void WebDatasetWriter::abandon_tar() noexcept {
  if (archive_) {
    // Closed rather than failed: libarchive 3.6 frees its write buffer only on close (libarchive#1568).
    archive_write_close(archive_.get());
    archive_.reset();
  }
  file_.reset();
  if (!temp_.empty()) ::unlink(temp_.c_str());
  temp_.clear();
  keys_.clear();
}

}  // namespace fetch
