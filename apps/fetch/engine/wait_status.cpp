#include "engine/wait_status.hpp"

#include <conc/progress.hpp>

namespace fetch {

std::string wait_status(const WaitFacts& facts, Scheduler::Clock::time_point now, std::chrono::seconds long_wait) {
  const Scheduler::Waiting& w = facts.scheduler;
  std::string status;
  auto add = [&](const std::string& part) { status += (status.empty() ? "" : "; ") + part; };
  if (w.next_due) {
    const auto left = std::max(*w.next_due - now, Scheduler::Clock::duration::zero());
    if (w.running == 0 || left >= long_wait) {
      std::string part = w.retries > 1 ? std::to_string(w.retries) + " retries waiting, next in " : "next retry in ";
      part += conc::format_duration(std::chrono::ceil<std::chrono::seconds>(left).count());
      if (!w.next_why.empty()) part += " (" + w.next_why + ")";
      add(part);
    }
  }
  if (w.held_by_host > 0) {
    add(std::to_string(w.held_by_host) + " wait for " + w.host + " (--per-host " + std::to_string(facts.per_host) +
        ")");
  }
  if (facts.rate > 0 && facts.rate_held) add("held to --rate " + conc::format_bytes(facts.rate) + "/s");
  return status;
}

}  // namespace fetch
