#include "atomic_file.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <stdexcept>

#include "files.hpp"
#include "temp_dir.hpp"

namespace fs = std::filesystem;

using test_support::slurp;

TEST_CASE("write_atomically creates the folder, replaces the old file and leaves no temporary") {
  TempDir dir;
  const fs::path target = dir / "a/b/file.txt";
  common::write_atomically(target.string(), "first");
  CHECK(slurp(target) == "first");
  common::write_atomically(target.string(), std::string(100000, 'x'));
  CHECK(slurp(target) == std::string(100000, 'x'));
  int files = 0;
  for (const auto& e : fs::directory_iterator(target.parent_path())) {
    ++files;
    CHECK(e.path().filename() == "file.txt");
  }
  CHECK(files == 1);
}

TEST_CASE("write_atomically names the file and the reason when it cannot write") {
  TempDir dir;
  const fs::path blocker = dir / "not-a-folder";
  common::write_atomically(blocker.string(), "x");
  try {
    common::write_atomically((blocker / "file.txt").string(), "y");
    FAIL("no error");
  } catch (const std::runtime_error& e) {
    CHECK(std::string(e.what()).find("not-a-folder") != std::string::npos);
  }
}

TEST_CASE("temporaries are short, hidden, and recognised only by their own root's token") {
  const common::Temporaries mine("abcd1234");
  const std::string long_name(255, 'n');
  const std::string temp = mine.beside("/out/photos/" + long_name);
  const std::string name = fs::path(temp).filename().string();
  CHECK(fs::path(temp).parent_path() == "/out/photos");
  CHECK(name.size() <= 32);
  CHECK(name.front() == '.');
  CHECK(mine.is_ours(name));
  CHECK(mine.beside("x") != mine.beside("x"));
  CHECK_FALSE(common::Temporaries("zzzz9999").is_ours(name));
  CHECK_FALSE(mine.is_ours("notes.tmp-backup"));
  CHECK_FALSE(mine.is_ours(".conc-abcd1234-abc.tmp"));
  CHECK_FALSE(mine.is_ours(".conc-abcd1234-ABCDEFGH.tmp"));
  CHECK_FALSE(mine.is_ours(name + ".jpg"));
  CHECK_THROWS_AS(common::Temporaries("short"), std::invalid_argument);
  CHECK_THROWS_AS(common::Temporaries("UPPER123"), std::invalid_argument);
  CHECK(common::Temporaries::new_token() != common::Temporaries::new_token());
}

TEST_CASE("write_atomically writes a file whose name is 255 bytes long") {
  TempDir dir;
  const common::Temporaries mine(common::Temporaries::new_token());
  const fs::path target = dir / std::string(255, 'p');
  common::write_atomically(target.string(), "long", mine);
  CHECK(slurp(target) == "long");
  for (const auto& e : fs::directory_iterator(dir.path)) CHECK_FALSE(mine.is_ours(e.path().filename().string()));
}
