// The validators kept beside a part file, and how an answer to a resume is checked against them.

#include <catch2/catch.hpp>

#include <fstream>
#include <nlohmann/json.hpp>

#include "atomic_file.hpp"
#include "engine/validators.hpp"
#include "temp_dir.hpp"

using fetch::ContentRange;
using fetch::parse_content_range;
using fetch::Validators;

TEST_CASE("Content-Range: the first byte and the total", "[fetch][validators]") {
  const auto r = parse_content_range(" bytes 100-199/200\r\n");
  REQUIRE(r);
  CHECK(r->start == 100);
  CHECK(r->total == 200u);
  const auto unknown = parse_content_range("bytes 0-9/*");
  REQUIRE(unknown);
  CHECK_FALSE(unknown->total);
  for (const char* bad :
       {"", "bytes */200", "bytes 5-4/10", "bytes 0-9/9", "items 0-9/10", "bytes 0-9", "bytes x-9/10"})
    CHECK_FALSE(parse_content_range(bad));
}

TEST_CASE("an answer to a resume is the same file only while its validators and length are", "[fetch][validators]") {
  Validators v;
  v.etag = "\"a\"";
  v.last_modified = "Tue, 14 Nov 2023 22:13:20 GMT";
  v.length = 1000;
  const ContentRange same{500, 1000};
  CHECK_FALSE(fetch::changed_since(v, "\"a\"", v.last_modified, same));
  CHECK_FALSE(fetch::changed_since(v, "", "", same));  // nothing said: If-Range was the server's to check
  CHECK(fetch::changed_since(v, "\"b\"", v.last_modified, same) == "its ETag is now \"b\", was \"a\"");
  CHECK(fetch::changed_since(v, "\"a\"", "Wed, 15 Nov 2023 00:00:00 GMT", same));
  CHECK(fetch::changed_since(v, "\"a\"", v.last_modified, ContentRange{500, 1001}) ==
        "its length is now 1001 bytes, was 1000 bytes");
  CHECK(fetch::changed_since(v, "\"a\"", v.last_modified, ContentRange{500, std::nullopt}) ==
        "its length is now not given, was 1000 bytes");
  CHECK(v.check() == "ETag");
  CHECK(v.if_range() == "\"a\"");
  Validators length_only;
  length_only.length = 10;
  CHECK(length_only.check() == "length");
  CHECK(length_only.if_range().empty());
  CHECK_FALSE(Validators{}.can_vouch());
}

TEST_CASE(
    "validators are written beside the part with their schema and read back (an older conc-fetch's too), "
    "and nothing when they are not there, not whole or another schema's",
    "[fetch][validators]") {
  TempDir dir;
  const common::Temporaries temporaries("vali1234");
  const auto file = fetch::validators_file(dir / "a.bin.part");
  CHECK(file == dir / "a.bin.part.json");
  CHECK_FALSE(fetch::read_validators(file));
  Validators v;
  v.url_sha256 = std::string(64, 'f');
  v.etag = "\"x\"";
  v.length = 42;
  REQUIRE(fetch::write_validators(file, v, temporaries));
  const auto back = fetch::read_validators(file);
  REQUIRE(back);
  CHECK(back->url_sha256 == v.url_sha256);
  CHECK(back->etag == "\"x\"");
  CHECK(back->last_modified.empty());
  CHECK(back->length == 42u);
  CHECK(nlohmann::json::parse(std::ifstream(file)).at("schema") == fetch::kPartSchema);
  const std::string sha = std::string(64, 'e');
  std::ofstream(file) << R"({"url_sha256": ")" << sha << R"(", "length": 7})";  // an older conc-fetch's: no schema
  const auto older = fetch::read_validators(file);
  REQUIRE(older);
  CHECK(older->url_sha256 == sha);
  CHECK(older->length == 7u);
  std::ofstream(file) << R"({"schema": "conc-fetch-part/2", "url_sha256": ")" << sha << R"(", "length": 7})";
  CHECK_FALSE(fetch::read_validators(file));  // a later version's: the part starts again from zero

  std::ofstream(file) << "{\"url_sha256\": \"ff";  // cut short by a kill
  CHECK_FALSE(fetch::read_validators(file));
  std::ofstream(file) << "{\"url_sha256\": \"ff\"}";  // nothing to check a part with
  CHECK_FALSE(fetch::read_validators(file));
}
