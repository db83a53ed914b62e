#include <catch2/catch.hpp>

#include "plan/url_list.hpp"

using fetch::parse_url;
using fetch::parse_url_list;

TEST_CASE("http and https URLs parse into their parts", "[fetch][list]") {
  auto u = parse_url("HTTPS://User:pw@Example.COM:8443/a/b%20c.jpg?x=1#frag").url;
  REQUIRE(u);
  CHECK(u->scheme == "https");
  CHECK(u->host == "example.com");
  CHECK(u->port == 8443);
  CHECK(u->path == "/a/b%20c.jpg");
  CHECK(u->query == "x=1");
  u = parse_url("http://127.0.0.1").url;
  REQUIRE(u);
  CHECK(u->path == "/");
  CHECK(u->port == 0);
  u = parse_url("http://[::1]:8080/x").url;
  REQUIRE(u);
  CHECK(u->host == "[::1]");
  CHECK(u->port == 8080);
}

TEST_CASE("anything but a usable http(s) URL is refused with a reason", "[fetch][list]") {
  CHECK(parse_url("ftp://h/x").error == "unsupported scheme 'ftp' (only http and https)");
  CHECK(parse_url("file:///etc/passwd").error == "unsupported scheme 'file' (only http and https)");
  CHECK(parse_url("example.com/x.jpg").error == "not a URL (no scheme://)");
  CHECK(parse_url("http://h/a\tb").error == "URL contains control characters");
  CHECK(parse_url("http://a b/").error == "invalid host");
  CHECK(parse_url("http://h:99999/").error == "invalid port");
  CHECK(parse_url("http://h:/").error == "invalid port");
  CHECK(parse_url("http:///x").error == "invalid host");
  CHECK(parse_url("http://bad!host/").error == "invalid host");
  CHECK(parse_url("http://[::`zz]/").error == "invalid host");
}

TEST_CASE("plain lists skip blank lines and comments", "[fetch][list]") {
  const auto list = parse_url_list(
      "# flags\n"
      "http://h/a.png\r\n"
      "\n"
      "   \n"
      "https://h/b.png\n"
      "not a url\n");
  REQUIRE(list.entries.size() == 3);
  CHECK(list.entries[0].line == 2);
  CHECK(list.entries[0].url->path == "/a.png");
  CHECK(list.entries[1].line == 5);
  CHECK(list.entries[2].raw == "not a url");
  CHECK_FALSE(list.entries[2].url);
  CHECK(list.entries[2].error == "not a URL (no scheme://)");
  CHECK(list.warnings.empty());
}

TEST_CASE("aria2 input files: indented options under their URL", "[fetch][list]") {
  const std::string sum(64, 'a');
  const auto list = parse_url_list(
      "http://h/1.bin\n"
      "  out=renamed.bin\n"
      "\tchecksum=sha-256=" +
      std::string(64, 'A') +
      "\n"
      "  dir=/tmp\n"
      "http://h/2.bin\thttp://mirror/2.bin\n"
      "  checksum=md5=abc\n");
  REQUIRE(list.entries.size() == 2);
  CHECK(list.entries[0].out == "renamed.bin");
  CHECK(list.entries[0].sha256 == sum);
  CHECK(list.entries[1].raw == "http://h/2.bin");
  CHECK(list.entries[1].sha256.empty());
  REQUIRE(list.warnings.size() == 2);
  CHECK(list.warnings[0] == "line 4: option 'dir' ignored");
  CHECK(list.warnings[1] == "line 6: unsupported checksum 'md5=abc' (sha-256=HEX)");
}

TEST_CASE("an option line before any URL is reported", "[fetch][list]") {
  const auto list = parse_url_list("  out=x\nhttp://h/y\n");
  CHECK(list.entries.size() == 1);
  CHECK(list.entries[0].out.empty());
  REQUIRE(list.warnings.size() == 1);
  CHECK(list.warnings[0] == "line 1: option line without a URL above it");
}

TEST_CASE("a UTF-8 byte-order mark before the first URL is dropped", "[fetch][list]") {
  const auto list = parse_url_list("\xEF\xBB\xBFhttp://h/1.bin\r\nhttp://h/2.bin\r\n");
  REQUIRE(list.entries.size() == 2);
  CHECK(list.entries[0].raw == "http://h/1.bin");
  REQUIRE(list.entries[0].url);
  CHECK(list.entries[0].url->scheme == "http");
  CHECK(list.warnings.empty());
}

TEST_CASE("a host that IDNA maps to nothing is an invalid host", "[fetch][list]") {
  // A byte-order mark as the whole host (found by the url_list fuzzer): an error, never an entry
  // with neither a URL nor a reason.
  const auto r = parse_url("http://\xEF\xBB\xBF/a.bin");
  CHECK_FALSE(r.url.has_value());
  CHECK(r.error == "invalid host");
}

TEST_CASE("the URL to request: punycode host, spaces as %20, no fragment", "[fetch][list]") {
  auto u = parse_url(
               "http://B\xC3\xBC"
               "cher.example:8080/a b/c.jpg?q=x y#frag")
               .url;
  REQUIRE(u);
  CHECK(u->host == "xn--bcher-kva.example");
  CHECK(u->path == "/a b/c.jpg");
  CHECK(u->text == "http://xn--bcher-kva.example:8080/a%20b/c.jpg?q=x%20y");
  u = parse_url("https://user:pw@H.example/x%20y?").url;
  REQUIRE(u);
  CHECK(u->text == "https://user:pw@h.example/x%20y?");
  CHECK(parse_url("http://a\xC3"
                  "(b.example/")
            .error.rfind("invalid international host name (", 0) == 0);
}

TEST_CASE("aria2 mirror URIs after TABs are kept in order, a bad one is reported", "[fetch][list]") {
  const auto list = parse_url_list("http://a/f.bin\thttp://b/f.bin\tnot-a-url\t\thttps://c/f.bin\n");
  REQUIRE(list.entries.size() == 1);
  CHECK(list.entries[0].raw == "http://a/f.bin");
  REQUIRE(list.entries[0].mirrors.size() == 2);
  CHECK(list.entries[0].mirrors[0].text == "http://b/f.bin");
  CHECK(list.entries[0].mirrors[1].text == "https://c/f.bin");
  REQUIRE(list.warnings.size() == 1);
  CHECK(list.warnings[0] == "line 1: mirror 'not-a-url' ignored: not a URL (no scheme://)");
}
