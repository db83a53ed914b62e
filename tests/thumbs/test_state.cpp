// The state file: every name kept by the name rule, the token, the sources' identities.

#include <catch2/catch.hpp>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "files.hpp"
#include "images.hpp"
#include "state.hpp"
#include "temp_dir.hpp"

namespace fs = std::filesystem;

TEST_CASE("the state file keeps every name, the token and each source's identity", "[thumbs][state]") {
  TempDir dir;
  thumbs::State state{"conc-thumbs/2 sizes=75x75", "abcd1234", {}};
  std::string every_byte;  // all but NUL and '/'
  for (int b = 1; b < 256; ++b) {
    if (b != '/') every_byte += static_cast<char>(b);
  }
  const std::vector<std::string> names = {every_byte.substr(0, 127), every_byte.substr(127), "sub\xFF/caf\xE9.jpg",
                                          "back\\slash.jpg",         "new\nline.jpg",        "plain.jpg"};
  std::uint64_t n = 1;
  for (const std::string& name : names) {
    state.made[name] = thumbs::SourceIdentity{n, 1'700'000'000'123'456'789 + static_cast<std::int64_t>(n), n * 7,
                                              1'700'000'001'000'000'000 + static_cast<std::int64_t>(n)};
    ++n;
  }
  thumbs::write_state(dir.path, state);
  const std::string text = test_support::slurp(dir / ".conc-thumbs.json");
  std::istringstream lines(text);
  std::size_t count = 0;
  for (std::string line; std::getline(lines, line); ++count) CHECK_NOTHROW(nlohmann::json::parse(line));
  CHECK(count == names.size() + 1);
  CHECK(text.find(R"("made":"back\\\\slash.jpg")") != std::string::npos);
  CHECK(text.find(R"("made":"sub\\xFF/caf\\xE9.jpg")") != std::string::npos);

  const thumbs::State back = thumbs::read_state(dir.path);
  CHECK(back.signature == state.signature);
  CHECK(back.token == "abcd1234");
  CHECK(back.made == state.made);

  SECTION("a journal line is read back as written") {
    {
      thumbs::StateJournal journal(dir.path);
      journal.made((dir / "new\xC3(.jpg").string(), thumbs::SourceIdentity{1, 2, 3, 4});
    }
    const thumbs::State more = thumbs::read_state(dir.path);
    REQUIRE(more.made.count("new\xC3(.jpg") == 1);
    CHECK(more.made.at("new\xC3(.jpg") == thumbs::SourceIdentity{1, 2, 3, 4});
  }
  SECTION("a last line cut short by a killed run ends the list") {
    test_images::write(dir / ".conc-thumbs.json", text + R"({"made":"half)");
    CHECK(thumbs::read_state(dir.path).made == state.made);
  }
}

TEST_CASE("the identity of a file changes with its size, times and inode", "[thumbs][state]") {
  struct stat st {};
  st.st_size = 10;
  st.st_mtim = {100, 5};
  st.st_ctim = {200, 7};
  st.st_ino = 42;
  const thumbs::SourceIdentity id = thumbs::identity_of(st);
  CHECK(id == thumbs::SourceIdentity{10, 100'000'000'005, 42, 200'000'000'007});
  st.st_mtim.tv_nsec = 6;
  CHECK_FALSE(thumbs::identity_of(st) == id);
}

TEST_CASE("conc output roots are told by their markers", "[thumbs][state]") {
  CHECK(thumbs::is_output_marker(".conc-thumbs.json"));
  CHECK(thumbs::is_output_marker(".conc-thumbs.shard-0002-of-0016.json"));
  CHECK(thumbs::is_output_marker(".conc-gallery.json"));
  CHECK_FALSE(thumbs::is_output_marker(".conc-thumbs.json.bak"));
  CHECK_FALSE(thumbs::is_output_marker("conc-thumbs.json"));
}
