#include "name_text.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <random>
#include <stdexcept>
#include <string>

using common::is_valid_utf8;
using common::name_for_display;
using common::name_from_text;
using common::name_to_text;

TEST_CASE("a name as text: valid UTF-8 as it is, backslashes doubled, other bytes escaped") {
  CHECK(name_to_text("photo.jpg") == "photo.jpg");
  CHECK(name_to_text("caf\xC3\xA9.jpg") == "caf\xC3\xA9.jpg");    // NFC é
  CHECK(name_to_text("cafe\xCC\x81.jpg") == "cafe\xCC\x81.jpg");  // NFD: e + combining acute
  CHECK(name_to_text("caf\xE9.jpg") == "caf\\xE9.jpg");           // Latin-1 é
  CHECK(name_to_text("a\\b") == "a\\\\b");
  CHECK(name_to_text("a\\xE9") == "a\\\\xE9");  // the text of a name that spells an escape is still its own
  CHECK(name_to_text("line\nbreak") == "line\nbreak");
  CHECK(name_to_text(std::string("nul\0x", 5)) == std::string("nul\0x", 5));
  // Overlong forms, surrogates, bytes past U+10FFFF and cut sequences are not UTF-8.
  CHECK(name_to_text("\xC0\xAF") == "\\xC0\\xAF");
  CHECK(name_to_text("\xED\xA0\x80") == "\\xED\\xA0\\x80");
  CHECK(name_to_text("\xF4\x90\x80\x80") == "\\xF4\\x90\\x80\\x80");
  CHECK(name_to_text("ab\xE2\x82") == "ab\\xE2\\x82");
  CHECK(name_to_text("\xF0\x9F\x93\xB7") == "\xF0\x9F\x93\xB7");  // U+1F4F7, a camera
}

TEST_CASE("a name for display also escapes control characters, so it never breaks a line") {
  CHECK(name_for_display("line\nbreak.jpg") == "line\\x0Abreak.jpg");
  CHECK(name_for_display("tab\t\x7F") == "tab\\x09\\x7F");
  CHECK(name_for_display("caf\xE9") == "caf\\xE9");
  CHECK(name_for_display("caf\xC3\xA9") == "caf\xC3\xA9");
  CHECK(name_from_text(name_for_display("line\nbreak\xE9\\")) == "line\nbreak\xE9\\");
}

TEST_CASE("a name's text reads back as the same bytes, for every byte string") {
  std::mt19937 rng(20261204);
  for (int round = 0; round < 20000; ++round) {
    std::string name(rng() % 12, '\0');
    for (char& c : name) c = static_cast<char>(rng() % 256);
    const std::string text = name_to_text(name);
    INFO(text);
    CHECK(is_valid_utf8(text));
    CHECK(name_from_text(text) == name);
    CHECK(name_from_text(name_for_display(name)) == name);
    // Only the bytes that are not UTF-8 grow into escapes: a valid name grows by its backslashes alone.
    const auto backslashes = static_cast<std::size_t>(std::count(name.begin(), name.end(), '\\'));
    CHECK(is_valid_utf8(name) == (text.size() == name.size() + backslashes));
  }
}

TEST_CASE("a malformed escape is an error that shows the text") {
  CHECK_THROWS_AS(name_from_text("a\\q"), std::invalid_argument);
  CHECK_THROWS_AS(name_from_text("a\\x4"), std::invalid_argument);
  CHECK_THROWS_AS(name_from_text("a\\xZZ"), std::invalid_argument);
  CHECK_THROWS_AS(name_from_text("trailing\\"), std::invalid_argument);
  CHECK(name_from_text("lower\\xe9") == "lower\xE9");
}
