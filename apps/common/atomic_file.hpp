#pragma once
// Files that appear whole or not at all: written under a temporary name beside the final one,
// then renamed over it.

#include <string>
#include <string_view>

namespace common {

// Writes bytes to path atomically (creating its folder); std::runtime_error naming the file and
// the reason otherwise, and no temporary file is left behind.
void write_atomically(const std::string& path, std::string_view bytes);

// The temporary names write_atomically() uses: "<name>.tmp-XXXXXX".
std::string temporary_name_for(const std::string& path);
bool is_temporary_name(const std::string& filename);

}  // namespace common
