// The desktop cache's names and stamps (tests/thumbs/freedesktop_test.py reads a whole run back
// with GNOME's own factory).

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>

#include "freedesktop.hpp"
#include "temp_dir.hpp"

namespace fd = thumbs::freedesktop;

TEST_CASE("the cache's names: the URI as GLib writes it, and its MD5", "[thumbs][freedesktop]") {
  CHECK(fd::file_uri("/home/jens/photos/me.png") == "file:///home/jens/photos/me.png");
  // The standard's own example.
  CHECK(fd::thumbnail_name("file:///home/jens/photos/me.png") == "c6ee772d9e49320e97ec29a7eb5b1697.png");
  CHECK(fd::file_uri("/a b/#;%[x]?.jpg") == "file:///a%20b/%23%3B%25%5Bx%5D%3F.jpg");
  CHECK(fd::file_uri("/!$&'()*+,-.:=@_~") == "file:///!$&'()*+,-.:=@_~");
  CHECK(fd::file_uri("/caf\xE9.jpg") == "file:///caf%E9.jpg");
  CHECK(fd::file_uri("/caf\xC3\xA9.jpg") == "file:///caf%C3%A9.jpg");
  CHECK(fd::fail_folder("0.1.0") == "fail/conc-thumbs-0.1.0");
}

TEST_CASE("the cache lives in XDG_CACHE_HOME, else ~/.cache", "[thumbs][freedesktop]") {
  const auto environment = [](std::map<std::string, std::string> variables) -> common::Environment {
    return [variables](const std::string& name) -> std::optional<std::string> {
      const auto it = variables.find(name);
      return it == variables.end() ? std::nullopt : std::optional<std::string>(it->second);
    };
  };
  CHECK(fd::cache_root(environment({{"XDG_CACHE_HOME", "/c"}, {"HOME", "/h"}})) == "/c/thumbnails");
  CHECK(fd::cache_root(environment({{"XDG_CACHE_HOME", ""}, {"HOME", "/h"}})) == "/h/.cache/thumbnails");
  CHECK(fd::cache_root(environment({{"XDG_CACHE_HOME", "relative"}, {"HOME", "/h"}})) == "/h/.cache/thumbnails");
  CHECK_THROWS(fd::cache_root(environment({})));
  CHECK(fd::cache_size("x-large")->pixels == 512);
  CHECK_FALSE(fd::cache_size("huge"));
}

TEST_CASE("a failure entry carries its stamp, and only a PNG saying both URI and MTime is stamped",
          "[thumbs][freedesktop]") {
  TempDir dir;
  const auto entry = dir.path / "fail/conc-thumbs-0.1.0/x.png";
  fd::make_private_folders(entry.parent_path());
  fd::write_failure(entry, fd::stamp_text("file:///p/a.jpg", 1700000000, 42, "conc-thumbs 0.1.0"));
  const auto stamp = fd::read_stamp(entry);
  REQUIRE(stamp);
  CHECK(stamp->uri == "file:///p/a.jpg");
  CHECK(stamp->mtime == 1700000000);
  CHECK((std::filesystem::status(entry).permissions() & std::filesystem::perms::all) ==
        (std::filesystem::perms::owner_read | std::filesystem::perms::owner_write));
  CHECK((std::filesystem::status(entry.parent_path()).permissions() & std::filesystem::perms::all) ==
        std::filesystem::perms::owner_all);
  CHECK_FALSE(fd::read_stamp(dir.path / "missing.png"));
  fd::write_failure(dir.path / "no-mtime.png", {{"Thumb::URI", "file:///p/a.jpg"}});
  CHECK_FALSE(fd::read_stamp(dir.path / "no-mtime.png"));
  std::ofstream(dir.path / "not.png") << "not a PNG at all";
  CHECK_FALSE(fd::read_stamp(dir.path / "not.png"));
}
