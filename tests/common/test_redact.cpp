#include "redact.hpp"

#include <catch2/catch.hpp>
#include <string>

using common::redact_urls;

TEST_CASE("a URL's password is hidden, and a lone user (often a token) too") {
  CHECK(redact_urls("https://user:secret@example.com/file.bin") == "https://user:***@example.com/file.bin");
  CHECK(redact_urls("https://ghp_token@example.com/x") == "https://***@example.com/x");
  CHECK(redact_urls("http://u:p@127.0.0.1:8080") == "http://u:***@127.0.0.1:8080");
  CHECK(redact_urls("https://u:p@host?q=1#f") == "https://u:***@host?q=1#f");
  CHECK(redact_urls("https://:secret@host/") == "https://:***@host/");
}

TEST_CASE("a password holding a colon, an at sign, a hash or a question mark is hidden whole, the path left alone") {
  CHECK(redact_urls("https://u:a:b@host/") == "https://u:***@host/");
  CHECK(redact_urls("https://u:p@ss@host/") == "https://u:***@host/");
  CHECK(redact_urls("https://u:p#s?x@host/a") == "https://u:***@host/a");
  CHECK(redact_urls("https://host/users/@me") == "https://host/users/@me");
  CHECK(redact_urls("https://host/a?mail=x@y.z") == "https://host/a?mail=x@y.z");
}

TEST_CASE("every URL in a message is redacted, and the rest of it kept") {
  CHECK(redact_urls("all 2 URIs failed: https://u:p1@a.example/f: HTTP 404; https://u:p2@b.example/f: HTTP 404") ==
        "all 2 URIs failed: https://u:***@a.example/f: HTTP 404; https://u:***@b.example/f: HTTP 404");
  CHECK(redact_urls("line 3: https://u:pw@[bad: bad host") == "line 3: https://u:***@[bad: bad host");
  CHECK(redact_urls("see \"https://t@h\" and <https://u:v@h>") == "see \"https://***@h\" and <https://u:***@h>");
  CHECK(redact_urls("no URL here: a@b, x://") == "no URL here: a@b, x://");
  CHECK(redact_urls("") == "");
}

TEST_CASE("redaction is idempotent, so a redacted URL can be a record's key") {
  for (const std::string url : {"https://user:secret@example.com/f", "https://token@example.com/f",
                                "https://example.com/f", "https://u:a:b@h/"}) {
    const std::string once = redact_urls(url);
    CHECK(redact_urls(once) == once);
  }
}
