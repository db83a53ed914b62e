#pragma once
// The easy handles of a run, kept between transfers with what each holds: its connections (the
// threads engine's handles each keep their own) and the TLS sessions of the hosts it served. A
// transfer takes the idle handle that last served its host, so that it finds that host's
// connection still open, or at least resumes its TLS session; else a new handle, up to `keep`,
// so that the idle ones stay for their hosts; else the handle idle longest.

#include <cstddef>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/easy_handle.hpp"

namespace fetch {

class HandlePool {
 private:
  struct Entry;

 public:
  // Handles are made from `options` (and share `cache`, when given) as transfers need them.
  HandlePool(const TransferOptions& options, std::size_t keep, const SharedCache* cache = nullptr);
  ~HandlePool();
  HandlePool(const HandlePool&) = delete;
  HandlePool& operator=(const HandlePool&) = delete;

  // A handle taken for one transfer; back in the pool when the lease ends, as having served `host`.
  class Lease {
   public:
    Lease(Lease&& other) noexcept : pool_(other.pool_), entry_(other.entry_), host_(std::move(other.host_)) {
      other.entry_ = nullptr;
    }
    Lease& operator=(Lease&&) = delete;
    ~Lease() { give_back(); }
    EasyHandle& handle() const;
    CURL* get() const { return handle().get(); }
    // Returns the handle now.
    void give_back();

   private:
    friend class HandlePool;
    Lease(HandlePool& pool, Entry* entry, std::string host) : pool_(pool), entry_(entry), host_(std::move(host)) {}
    HandlePool& pool_;
    Entry* entry_;
    std::string host_;
  };

  // The idle handle that served `host` most recently, else a new one while there are fewer than
  // `keep`, else the one idle longest, else a new one. Thread-safe.
  Lease take(const std::string& host);

  // Handles made so far (none is ever dropped before the pool).
  std::size_t size() const;

  // The hosts a handle remembers: as many as libcurl keeps connections for per easy handle
  // (CURLOPT_MAXCONNECTS, 5) and TLS sessions for (5).
  static constexpr std::size_t kRemembered = 5;

 private:
  struct Entry {
    std::unique_ptr<EasyHandle> handle;
    std::vector<std::string> hosts;       // served, most recent first
    std::list<Entry*>::iterator in_idle;  // while idle
  };
  void give_back(Entry* entry, const std::string& host);

  const TransferOptions& options_;
  const std::size_t keep_;
  const SharedCache* cache_;
  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<Entry>> entries_;
  std::list<Entry*> idle_;                                        // longest idle first
  std::unordered_map<std::string, std::vector<Entry*>> by_host_;  // idle handles that served it, most recent last
};

}  // namespace fetch
