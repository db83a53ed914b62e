#pragma once
// Site owners' opt-outs: an X-Robots-Tag header that asks, of all agents or of this tool by name,
// that the image not be used (noai, noimageai, noindex, noimageindex by default), as img2dataset
// reads it: "X-Robots-Tag: noai" for all agents, "X-Robots-Tag: conc-fetch: noai, noimageai" for one.

#include <optional>
#include <string>
#include <vector>

namespace fetch {

// The first of `disallowed` (lower case) that one of the headers' values gives to every agent or to
// one of `agents` (lower case): "noai"; nothing when none does.
std::optional<std::string> opting_out(const std::vector<std::string>& robots_tags,
                                      const std::vector<std::string>& disallowed,
                                      const std::vector<std::string>& agents);

}  // namespace fetch
