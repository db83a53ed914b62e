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
  if (const auto& s = facts.stalled) {
    const auto idle =
        std::chrono::floor<std::chrono::seconds>(std::max(now - s->since, Scheduler::Clock::duration::zero()));
    std::string part = "no data from " + s->host + " for " + conc::format_duration(static_cast<double>(idle.count()));
    std::string notes;
    if (s->transfers > 1) notes = std::to_string(s->transfers) + " transfers";
    if (facts.stall_timeout.count() > 0) {
      notes += (notes.empty() ? "" : "; ") + std::string("--stall-timeout ") +
               conc::format_duration(static_cast<double>(facts.stall_timeout.count()));
    }
    add(part + (notes.empty() ? "" : " (" + notes + ")"));
  }
  return status;
}

}  // namespace fetch
