#include "engine/handle_pool.hpp"

#include <algorithm>

namespace fetch {

HandlePool::HandlePool(const TransferOptions& options, std::size_t keep, const SharedCache* cache)
    : options_(options), keep_(keep), cache_(cache) {}

HandlePool::~HandlePool() = default;

EasyHandle& HandlePool::Lease::handle() const { return *entry_->handle; }

void HandlePool::Lease::give_back() {
  if (entry_ == nullptr) return;
  pool_.give_back(entry_, host_);
  entry_ = nullptr;
}

HandlePool::Lease HandlePool::take(const std::string& host) {
  std::unique_lock lock(mutex_);
  Entry* entry = nullptr;
  if (const auto served = by_host_.find(host); served != by_host_.end()) {
    entry = served->second.back();
  } else if (entries_.size() >= keep_ && !idle_.empty()) {
    entry = idle_.front();
  }
  if (entry == nullptr) {
    lock.unlock();  // a handle is made outside the lock: libcurl's setup takes a while
    auto made = std::make_unique<Entry>();
    made->handle = std::make_unique<EasyHandle>(options_, cache_);
    entry = made.get();
    lock.lock();
    entries_.push_back(std::move(made));
    return Lease(*this, entry, host);
  }
  idle_.erase(entry->in_idle);
  for (const std::string& h : entry->hosts) {
    auto it = by_host_.find(h);
    std::erase(it->second, entry);
    if (it->second.empty()) by_host_.erase(it);
  }
  return Lease(*this, entry, host);
}

void HandlePool::give_back(Entry* entry, const std::string& host) {
  std::lock_guard lock(mutex_);
  std::erase(entry->hosts, host);
  entry->hosts.insert(entry->hosts.begin(), host);
  if (entry->hosts.size() > kRemembered) entry->hosts.pop_back();
  entry->in_idle = idle_.insert(idle_.end(), entry);
  for (const std::string& h : entry->hosts) by_host_[h].push_back(entry);
}

std::size_t HandlePool::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

}  // namespace fetch
