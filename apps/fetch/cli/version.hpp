#pragma once
// conc-fetch --version: the libraries it was built with and runs against, and libcurl's features.

#include <string>

namespace fetch {

std::string version_text();

}  // namespace fetch
