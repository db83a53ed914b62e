// The manifest as the resume journal: names as bytes, and what a record vouches for.

#include <catch2/catch.hpp>

#include <fstream>
#include <nlohmann/json.hpp>

#include "store/manifest.hpp"
#include "temp_dir.hpp"

using fetch::Manifest;
using fetch::Record;
using fetch::ThumbnailFacts;

namespace {

Record ok(const std::string& url, const std::string& path, std::uint64_t bytes = 10) {
  Record r;
  r.url = url;
  r.path = path;
  r.status = "ok";
  r.bytes = bytes;
  return r;
}

}  // namespace

TEST_CASE("manifest lines are valid JSON whatever the names' bytes, and give the bytes back", "[fetch][manifest]") {
  Record r = ok("http://h/caf\xE9?a\\b", "dir/caf\xE9\\x.bin");
  r.error = "cannot write caf\xE9";
  const std::string line = fetch::to_json_line(r);
  const auto j = nlohmann::json::parse(line);  // throws on bytes that are not UTF-8
  CHECK(j["url"] == "http://h/caf\\xE9?a\\\\b");
  CHECK(j["path"] == "dir/caf\\xE9\\\\x.bin");
  const auto back = fetch::parse_manifest_line(line);
  REQUIRE(back);
  CHECK(back->record.url == r.url);
  CHECK(back->record.path == r.path);
}

TEST_CASE("a manifest line names its schema first, an older conc-fetch's line (none) is read, another schema's not",
          "[fetch][manifest]") {
  const std::string line = fetch::to_json_line(ok("http://h/a", "a.bin"));
  CHECK(line.rfind(R"({"schema":"conc-fetch-manifest/1",)", 0) == 0);
  CHECK(nlohmann::json::parse(line).at("schema") == fetch::kManifestSchema);
  TempDir dir;
  const auto file = dir / "m.jsonl";
  std::ofstream(file) << R"({"url":"old","path":"old.bin","status":"ok","bytes":10,"sha256":"","attempts":1})"
                      << "\n"
                      << R"({"schema":"conc-fetch-manifest/2","url":"new","path":"new.bin","status":"ok","bytes":10})"
                      << "\n";
  Manifest m(file);
  CHECK(m.done_before("old", "old.bin"));
  CHECK_FALSE(m.done_before("new", "new.bin"));
  CHECK_FALSE(m.done_before("new"));
}

TEST_CASE("a record vouches for a path only while it is the last record of that path", "[fetch][manifest]") {
  TempDir dir;
  const auto file = dir / "m.jsonl";
  {
    Manifest m(file);
    REQUIRE(m.append(ok("a", "x.jpg")));
    REQUIRE(m.append(ok("b", "x.1.jpg")));
    Record failed = ok("c", "x.jpg");
    failed.status = "failed";  // a failure leaves the file as it was
    REQUIRE(m.append(failed));
  }
  {
    Manifest m(file);
    CHECK(m.done_before("a", "x.jpg"));
    CHECK(m.done_before("a"));
    CHECK(m.done_before("b", "x.1.jpg"));
    CHECK_FALSE(m.done_before("b", "x.jpg"));
    REQUIRE(m.append(ok("b", "x.jpg")));  // b alone, named x.jpg
  }
  Manifest m(file);
  CHECK_FALSE(m.done_before("a", "x.jpg"));
  CHECK_FALSE(m.done_before("a"));
  CHECK(m.done_before("b", "x.jpg"));
  CHECK(m.done_before("b", "x.1.jpg"));
}

TEST_CASE("a sample vouches for its member of its tar, and originals by the last record that kept them",
          "[fetch][manifest]") {
  TempDir dir;
  const auto file = dir / "m.jsonl";
  {
    Manifest m(file);
    ThumbnailFacts sample;
    sample.path = "000000001.jpg";
    sample.tar_bytes = 20480;
    REQUIRE(m.append(ok("u1", "00000.tar"), &sample));
    sample.path = "000000002.jpg";
    REQUIRE(m.append(ok("u2", "00000.tar"), &sample));
    ThumbnailFacts thumb;
    thumb.path = "p.jpg";
    thumb.original = "originals/p.png";
    REQUIRE(m.append(ok("v1", "p.jpg"), &thumb));
    REQUIRE(m.append(ok("v2", "q.jpg"), &thumb));  // another URL's original kept at the same place since
  }
  Manifest m(file);
  const auto u1 = m.done_before("u1");
  REQUIRE(u1);
  REQUIRE(u1->thumbnail);
  CHECK(u1->thumbnail->path == "000000001.jpg");
  CHECK(u1->thumbnail->tar_bytes == 20480);
  CHECK(m.done_before("u2"));
  CHECK(m.done_before("v1", "p.jpg"));
  CHECK_FALSE(m.original_is("v1", "originals/p.png"));
  CHECK(m.original_is("v2", "originals/p.png"));
}
