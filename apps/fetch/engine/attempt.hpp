#pragma once
// One transfer attempt with libcurl: the body streams to NAME.part (resumed with Range and
// If-Range when a part is there with its validators, validators.hpp), is checked against
// Content-Length and any expected SHA-256, and is renamed to NAME only when whole. The attempt
// lives in attempt.cpp, its libcurl callbacks in header_callback.cpp and write_callback.cpp, the
// handle it runs on in easy_handle.hpp.

#include <curl/curl.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <conc/fd.hpp>
#include <conc/shared_buffer.hpp>

#include "engine/easy_handle.hpp"
#include "engine/transfer_options.hpp"
#include "engine/validators.hpp"

namespace fetch {

class Sha256;

// All response headers of one attempt may hold this much.
inline constexpr std::size_t kMaxHeaderBytes = 256 * 1024;

// Interrupted: the run is stopping; the part file is kept for the next run.
enum class Verdict { Ok, Retry, Fail, Interrupted };

struct AttemptResult {
  Verdict verdict = Verdict::Fail;
  long http_status = 0;
  std::uint64_t bytes = 0;  // size of the finished file
  std::string sha256;       // of the finished file; empty when not computed
  std::string error;        // for Retry and Fail
  std::optional<std::chrono::seconds> retry_after;
  // The part was dropped because the server would not resume it: start again at once, and do not
  // count this attempt.
  bool restart = false;
  std::string suggested_name;            // with content_disposition: the safe file name the server gave, if any
  std::vector<std::string> robots_tags;  // the final response's X-Robots-Tag headers, one value each
  // Once the body began: where it began (0: the part started from zero; N: a part of N bytes was
  // continued) and what vouched for the part ("ETag", "Last-Modified", "length"). Nothing when no
  // body came (the part, if any, is as it was).
  struct Resume {
    std::uint64_t from = 0;
    std::string check;
  };
  std::optional<Resume> resumed;
  // With TransferOptions::to_memory, an Ok attempt's whole body, sealed; no file is written.
  std::shared_ptr<conc::SharedBuffer> body;
};

// One attempt at one URL, for either engine: start() points the handle at the URL and opens
// the part file, the engine runs the transfer, finish() checks and renames. The handle's
// callbacks refer to this object, so it stays where it is until finish().
class Attempt {
 public:
  Attempt(const TransferOptions& options, const EasyHandle& handle, const std::string& url,
          std::filesystem::path target, std::string expected_sha256);
  ~Attempt();
  Attempt(const Attempt&) = delete;
  Attempt& operator=(const Attempt&) = delete;

  // A result when the transfer cannot even begin (the part file cannot be written).
  std::optional<AttemptResult> start();
  // The verdict once libcurl has finished the transfer with `code`.
  AttemptResult finish(CURLcode code);
  // With TransferOptions::rate_pauses: when the transfer, paused for the --rate cap, may go on
  // (then the engine calls resume()); none while it runs.
  std::optional<std::chrono::steady_clock::time_point> paused_until() const { return paused_until_; }
  void resume();

 private:
  friend class EasyHandle;  // installs the callbacks
  static size_t on_header(char* data, size_t size, size_t n, void* user);
  static size_t on_body(char* data, size_t size, size_t n, void* user);
  static int on_progress(void* user, curl_off_t, curl_off_t now_bytes, curl_off_t, curl_off_t);
  // Notes whether body bytes move (progress_callback.cpp): a transfer still for Stalls::shown_after
  // is counted on options_.stalls until bytes move again or the attempt ends; true (end it) once
  // it has been still for the --stall-timeout.
  bool watch_stall(curl_off_t now_bytes);
  void stall_over();
  // The host the transfer talks to now (after any redirect), from libcurl's effective URL.
  std::string current_host() const;
  // The reason of a transfer ended by the --stall-timeout; empty when something else ended it.
  std::string stall_reason() const;
  size_t write_body(char* data, size_t bytes);
  // Takes body bytes from the --rate cap; false when the transfer must pause first (rate_pauses).
  bool pay_for(size_t bytes);
  // Writes body bytes to the part file, gathering small pieces of a large body (flush() writes them).
  bool store(const char* data, size_t bytes);
  bool flush();
  std::string curl_reason(CURLcode code) const;
  // After CURLE_UNSUPPORTED_PROTOCOL: "redirected to file:///x, which is not http or https" when the
  // last response was a redirect libcurl refused to follow; empty otherwise.
  std::string refused_redirect() const;
  // At the first body byte (or at the end when none came): checks a resumed part against the
  // answer, or starts the part from zero with this response's validators; false to end the transfer.
  bool begin_body();
  // The validators of the response being received (all but the URL's hash).
  Validators response_validators() const;
  // Writes them beside the part, with the URL's hash; false when they cannot be written.
  bool save_validators(Validators v);
  // A part that stays for a resume keeps its validators beside it; one nothing vouches for goes.
  void keep_part();
  // Removes the part and any validators beside it (these first, so that a part is never left with
  // another's).
  bool drop_part();
  // Puts the handle's own request headers back (after a resume sent If-Range).
  void restore_headers();
  // The verdict of a whole body held in memory (TransferOptions::to_memory).
  AttemptResult body_in_memory(conc::Fd memory, AttemptResult r);

  const TransferOptions& options_;
  CURL* curl_;
  curl_slist* handle_headers_;
  std::string url_;
  std::filesystem::path target_;
  std::filesystem::path part_;
  std::filesystem::path validators_file_;  // part_'s validators (NAME.part.json)
  std::string expected_sha256_;
  conc::Fd fd_;
  std::uint64_t offset_ = 0;         // bytes already in the part file when the attempt began
  std::uint64_t written_ = 0;        // bytes of the body taken in this attempt (some perhaps still in pending_)
  std::unique_ptr<char[]> pending_;  // body bytes not yet written
  std::size_t pending_size_ = 0;
  std::size_t prepaid_ = 0;  // bytes paid to the cap that libcurl hands over again after a pause
  std::optional<std::chrono::steady_clock::time_point> paused_until_;
  bool too_large_ = false;
  bool write_failed_ = false;
  long status_ = 0;
  std::string retry_after_;
  std::string callback_error_;  // an exception caught in a callback
  char curl_error_[CURL_ERROR_SIZE] = {};
  std::string content_range_;
  std::string content_disposition_;
  std::string etag_;  // of the response being received
  std::string last_modified_;
  std::vector<std::string> robots_tags_;  // of the response being received
  bool range_mismatch_ = false;
  std::optional<Validators> recorded_;   // the part's, when it is resumed (a Range was sent)
  bool validators_on_disk_ = false;      // validators_file_ may exist (read at start, or written)
  std::optional<Validators> unwritten_;  // a small body's: written only if its part stays
  bool body_began_ = false;              // begin_body() ran
  std::string changed_;                  // why the remote file is not the part's any more
  std::optional<AttemptResult::Resume> resumed_;
  curl_slist* request_headers_ = nullptr;  // the handle's headers and If-Range, for a resume
  std::size_t header_bytes_ = 0;
  bool headers_too_large_ = false;
  std::unique_ptr<Sha256> sha_;                                      // null when no hash is wanted
  curl_off_t progress_bytes_ = -1;                                   // body bytes at the last progress callback
  std::optional<std::chrono::steady_clock::time_point> idle_since_;  // when they were first seen not to move
  std::string stalled_host_;                                         // while counted on options_.stalls
  bool stalled_ = false;                                             // ended by the --stall-timeout
};

}  // namespace fetch
