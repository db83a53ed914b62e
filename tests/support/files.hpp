#pragma once
// Reading files back in tests.

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace test_support {

// The whole file; empty when it cannot be read.
inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace test_support
