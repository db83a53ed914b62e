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
    CHECK_FALSE(common::is_temporary_name(e.path().filename().string()));
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

TEST_CASE("temporary names are recognised, final names are not") {
  const std::string temp = common::temporary_name_for("photo.jpg");
  CHECK(temp.rfind("photo.jpg.tmp-", 0) == 0);
  CHECK(common::is_temporary_name(temp));
  CHECK_FALSE(common::is_temporary_name("photo.jpg"));
  CHECK_FALSE(common::is_temporary_name("photo.tmp-1.jpg"));
}
