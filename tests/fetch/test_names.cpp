#include <catch2/catch.hpp>

#include "plan/names.hpp"

using fetch::parse_url;

namespace {
std::string flat(const std::string& url) { return fetch::flat_name(*parse_url(url).url); }
std::string host(const std::string& url) { return fetch::host_path(*parse_url(url).url); }
}  // namespace

TEST_CASE("flat names come from the last path segment, decoded", "[fetch][names]") {
  CHECK(flat("http://h/flags/fr.png") == "fr.png");
  CHECK(flat("http://h/a/b%20c.jpg?size=large") == "b c.jpg");
  CHECK(flat("http://h/") == "index.html");
  CHECK(flat("http://h") == "index.html");
  CHECK(flat("http://h/%E5%86%99%E7%9C%9F.jpg") == "写真.jpg");
}

TEST_CASE("no name can leave the output folder", "[fetch][names]") {
  CHECK(flat("http://h/..") == "__");
  CHECK(flat("http://h/%2e%2e") == "__");
  CHECK(flat("http://h/a%2F..%2F..%2Fetc%2Fpasswd") == "a_.._.._etc_passwd");
  CHECK(flat("http://h/x%00y%0Az.txt") == "xyz.txt");
  CHECK(flat("http://h/%5C..%5Cwin.ini") == "_.._win.ini");
  CHECK(host("http://h:8080/a/../../etc/passwd") == "h_8080/a/__/__/etc/passwd");
  CHECK(host("http://h/dir/") == "h/dir/index.html");
  // A long host with a port stays within the length cap (found by fuzzing).
  const std::string long_host(250, 'a');
  const std::string hp = host("http://" + long_host + ":8080/x");
  CHECK(hp.find('/') <= 200);
  CHECK(fetch::confine("../../etc/passwd") == "etc/passwd");
  CHECK(fetch::confine("/abs/./x.bin") == "abs/x.bin");
  CHECK(fetch::confine("a\\..\\b") == "a/b");
  CHECK_FALSE(fetch::confine("../..").has_value());
  CHECK_FALSE(fetch::confine("").has_value());
}

TEST_CASE("names are length-capped at a character boundary, keeping the extension", "[fetch][names]") {
  std::string longname;
  for (int i = 0; i < 150; ++i) longname += "é";  // 300 bytes
  const std::string s = fetch::sanitize_component(longname + ".jpeg");
  CHECK(s.size() <= 200);
  CHECK(s.substr(s.size() - 5) == ".jpeg");
  CHECK((static_cast<unsigned char>(s[s.size() - 6]) & 0xC0) != 0xC0);  // no cut character
  CHECK(fetch::sanitize_component("  spaced  ") == "spaced");
  CHECK(fetch::sanitize_component("movie.part") == "movie.part_");
  CHECK(fetch::sanitize_component("\x01\x02") == "");
  // Invalid UTF-8 is cut anywhere, and a cut never leaves a name of dots (found by fuzzing).
  const std::string junk = "a" + std::string(300, '\x94');
  const std::size_t cut = fetch::sanitize_component(junk).size();
  CHECK(cut <= 200);
  CHECK(cut >= 197);  // backs up at most 3 bytes looking for a character boundary
  const std::string dot_only = fetch::sanitize_component(std::string(300, '\x94') + ".");
  CHECK(dot_only.size() <= 200);
  CHECK(dot_only != ".");
  CHECK(dot_only.find_first_not_of('.') != std::string::npos);
}

TEST_CASE("duplicates get a deterministic suffix", "[fetch][names]") {
  fetch::NameRegistry names;
  names.reserve(".conc-fetch.jsonl");
  CHECK(names.claim("a.jpg") == "a.jpg");
  CHECK(names.claim("a.jpg") == "a.1.jpg");
  CHECK(names.claim("a.jpg") == "a.2.jpg");
  CHECK(names.claim("a.1.jpg") == "a.1.1.jpg");
  CHECK(names.claim("README") == "README");
  CHECK(names.claim("README") == "README.1");
  CHECK(names.claim("d.x/file") == "d.x/file");
  CHECK(names.claim("d.x/file") == "d.x/file.1");
  CHECK(names.claim(".conc-fetch.jsonl") == ".conc-fetch.1.jsonl");
  // A suffix never pushes a name past the 200-byte cap (found by fuzzing).
  const std::string long_name = std::string(196, 'n') + ".jpg";
  CHECK(names.claim("dir/" + long_name) == "dir/" + long_name);
  const std::string second = names.claim("dir/" + long_name);
  CHECK(second == "dir/" + std::string(194, 'n') + ".1.jpg");
  CHECK(second.size() - 4 == 200);
}

TEST_CASE("a Content-Disposition header gives one safe file name", "[fetch][names]") {
  using fetch::disposition_filename;
  CHECK(disposition_filename("attachment; filename=\"report 1.pdf\"") == "report 1.pdf");
  CHECK(disposition_filename("attachment; filename=plain.txt") == "plain.txt");
  CHECK(disposition_filename("attachment; filename=\"fallback.bin\"; filename*=UTF-8''r%C3%A9sum%C3%A9.txt") ==
        "r\xC3\xA9sum\xC3\xA9.txt");
  CHECK(disposition_filename("attachment; FILENAME*=utf-8'en'a%20b.txt; filename=\"x\"") == "a b.txt");
  CHECK(disposition_filename("attachment; filename=\"a \\\"q\\\" b.txt\"") == "a \"q\" b.txt");
  CHECK(disposition_filename("attachment; filename=\"../../etc/evil.sh\"") == "evil.sh");
  CHECK(disposition_filename("attachment; filename=\"..\\\\..\\\\win.exe\"") == "win.exe");
  CHECK(disposition_filename("attachment; filename=\"..\"") == "__");
  CHECK(disposition_filename("attachment; filename=\"x.part\"") != "x.part");
  CHECK(disposition_filename("inline") == "");
  CHECK(disposition_filename("attachment; filename*=ISO-8859-1''caf%E9.txt") == "");
}

TEST_CASE("bytes that are not UTF-8 once decoded stay percent-encoded, so that names never merge", "[fetch][names]") {
  CHECK(flat("http://h/caf%E9.jpg") == "caf%E9.jpg");  // ISO-8859-1
  CHECK(flat("http://h/caf%E8.jpg") == "caf%E8.jpg");
  CHECK(flat("http://h/caf%e9.jpg") == "caf%E9.jpg");          // one spelling of the escape
  CHECK(flat("http://h/caf%C3%A9.jpg") == "caf\xC3\xA9.jpg");  // UTF-8: decoded
  CHECK(flat("http://h/%C3%28.jpg") == "%C3(.jpg");            // a broken sequence: only its bad byte
  CHECK(flat("http://h/%ED%A0%80.jpg") == "%ED%A0%80.jpg");    // a surrogate is not UTF-8
  CHECK(flat("http://h/100%25.jpg") == "100%.jpg");
  CHECK(host("http://h/d%FF/x%FE.bin") == "h/d%FF/x%FE.bin");
  CHECK(fetch::escape_invalid_utf8("na\xEFve") == "na%EFve");
  CHECK(fetch::disposition_filename("attachment; filename*=UTF-8''caf%E9.txt") == "caf%E9.txt");
  CHECK(fetch::disposition_filename("attachment; filename=\"caf\xE9.txt\"") == "caf%E9.txt");
}

TEST_CASE("a long name is cut to 200 bytes, never inside an escape, leaving room for .part and .part.json",
          "[fetch][names]") {
  // 255 bytes: the most a file name may have (NAME_MAX); with ".part.json" it must be shorter.
  const std::string plain = flat("http://h/" + std::string(251, 'n') + ".bin");
  CHECK(plain == std::string(196, 'n') + ".bin");
  std::string escapes;
  for (int i = 0; i < 85; ++i) escapes += "%E9";  // 255 bytes of escapes, kept as escapes
  const std::string escaped = flat("http://h/x" + escapes);
  CHECK(escaped.size() <= 200);
  CHECK(escaped.size() % 3 == 1);  // "x" and whole escapes
  CHECK(escaped.substr(escaped.size() - 3) == "%E9");
  CHECK(escaped.size() + std::string(".part.json").size() <= 255);
  CHECK(fetch::sanitize_component("notes.part.json") == "notes.part.json_");
  CHECK(fetch::sanitize_component(std::string(189, 'a') + ".part.json") == std::string(189, 'a') + ".part.json_");
  const std::string at_cap = fetch::sanitize_component(std::string(195, 'a') + ".part");
  CHECK(at_cap.size() == 200);
  CHECK_FALSE(at_cap.ends_with(".part"));
}
