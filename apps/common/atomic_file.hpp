#pragma once
// Files that appear whole or not at all: written under a temporary name beside the final one,
// then renamed over it.

#include <string>
#include <string_view>

namespace common {

// Temporaries that are provably a run's own: ".conc-TOKEN-XXXXXXXX.tmp" beside the final file,
// 27 bytes whatever the final name's length (never past NAME_MAX), hidden from a plain ls. TOKEN
// belongs to an output root and is kept in that root's state, so that a later run removes only
// what a run of the same root left, never a user's file, whatever its name.
class Temporaries {
 public:
  // TOKEN: 8 characters of [0-9a-z]; std::invalid_argument otherwise.
  explicit Temporaries(std::string token);
  // A new random token for a new output root.
  static std::string new_token();
  // This process's own, for files written outside any output root (a report, say).
  static const Temporaries& process();

  const std::string& token() const { return token_; }
  // A new temporary name in the folder of final_path.
  std::string beside(const std::string& final_path) const;
  // Whether a file name (no folder) is one of this token's temporaries.
  bool is_ours(std::string_view filename) const;

 private:
  std::string token_;
};

// Writes bytes to path atomically (creating its folder) through one of `temporaries`' names, the
// file created with `mode` (less the umask); std::runtime_error naming the file and the reason
// otherwise, and no temporary file is left behind.
void write_atomically(const std::string& path, std::string_view bytes,
                      const Temporaries& temporaries = Temporaries::process(), unsigned mode = 0644);

}  // namespace common
