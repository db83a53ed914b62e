#pragma once
// --resolve HOST:PORT:ADDRESS[,ADDRESS...]: a host name pinned to addresses, as curl's --resolve
// and libcurl's CURLOPT_RESOLVE take it ("+" in front: the entry may time out of the DNS cache).

#include <optional>
#include <string>
#include <string_view>

namespace fetch {

// What is wrong with an entry, as a sentence; nothing when libcurl will take it as meant.
std::optional<std::string> resolve_entry_problem(std::string_view entry);

}  // namespace fetch
