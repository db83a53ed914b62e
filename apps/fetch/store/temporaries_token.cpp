#include "store/temporaries_token.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <conc/fd.hpp>
#include <cstring>
#include <stdexcept>
#include <string>

namespace fetch {

namespace fs = std::filesystem;

common::Temporaries root_temporaries(const fs::path& root, const std::optional<common::Shard>& shard) {
  const fs::path file = root / common::shard_file_name(kTokenFileName, shard);
  {
    conc::Fd in(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
    char text[16] = {};
    const ssize_t n = in ? ::read(in.get(), text, sizeof text - 1) : -1;
    std::string token(text, n > 0 ? static_cast<std::size_t>(n) : 0);
    while (!token.empty() && (token.back() == '\n' || token.back() == ' ')) token.pop_back();
    try {
      return common::Temporaries(token);
    } catch (const std::invalid_argument&) {
      // None yet, or one cut short by a kill: a new one (what the old one marked stays, harmless).
    }
  }
  const std::string token = common::Temporaries::new_token();
  conc::Fd out(::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  const std::string line = token + "\n";
  if (!out || ::write(out.get(), line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
    throw std::runtime_error("cannot write " + file.string() + ": " + std::strerror(errno));
  }
  return common::Temporaries(token);
}

void remove_temporaries(const fs::path& folder, const common::Temporaries& temporaries) {
  std::error_code ec;
  for (auto it = fs::directory_iterator(folder, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    std::error_code type_ec;
    if (temporaries.is_ours(it->path().filename().string()) && it->is_regular_file(type_ec) &&
        !it->is_symlink(type_ec)) {
      fs::remove(it->path(), type_ec);
    }
  }
}

}  // namespace fetch
