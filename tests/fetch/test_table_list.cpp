#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "plan/table_list.hpp"

using fetch::ListFormat;
using fetch::parse_table;
using fetch::TableColumns;

TEST_CASE("CSV by RFC 4180: quotes, embedded commas and newlines, a header naming the columns", "[fetch][table]") {
  const TableColumns columns{"URL", "TEXT", {"LICENSE", "similarity"}};
  const auto rows = parse_table(
      "\xEF\xBB\xBF"
      "similarity,URL,TEXT,LICENSE\r\n"
      "0.31,http://h/a.jpg,\"a water drop, close up\",cc-by\r\n"
      "\n"
      "0.29,http://h/b.jpg,\"two lines:\nthe second\",\"say \"\"hi\"\"\"\n"
      " 0.5 ,http://h/c.jpg, spaced ,\n",
      ListFormat::Csv, columns);
  REQUIRE(rows.size() == 3);
  CHECK(rows[0].line == 2);
  CHECK(rows[0].raw == "http://h/a.jpg");
  REQUIRE(rows[0].url);
  CHECK(rows[0].url->path == "/a.jpg");
  CHECK(rows[0].caption == "a water drop, close up");
  CHECK(nlohmann::json::parse(rows[0].columns) == nlohmann::json{{"LICENSE", "cc-by"}, {"similarity", "0.31"}});
  CHECK(rows[1].line == 4);
  CHECK(rows[1].caption == "two lines:\nthe second");
  CHECK(nlohmann::json::parse(rows[1].columns).at("LICENSE") == "say \"hi\"");
  CHECK(rows[2].line == 6);              // after a row of two lines
  CHECK(rows[2].caption == " spaced ");  // spaces belong to their field
  CHECK(nlohmann::json::parse(rows[2].columns) == nlohmann::json{{"LICENSE", ""}, {"similarity", " 0.5 "}});
}

TEST_CASE("CSV: a bad row is reported with its line and costs only itself", "[fetch][table]") {
  const TableColumns columns{"url", "caption", {}};
  const auto rows = parse_table(
      "url,caption\n"
      "http://h/1.jpg,one\n"
      "http://h/2.jpg,two,extra\n"
      "http://h/3.jpg,th\"ree\n"
      "http://h/4.jpg,\"four\" and more\n"
      "ftp://h/5.jpg,five\n"
      ",six\n"
      "http://h/7.jpg,seven\n"
      "http://h/8.jpg,\"never closed\n"
      "http://h/9.jpg,nine\n",
      ListFormat::Csv, columns);
  std::map<std::size_t, std::string> errors;
  std::map<std::size_t, std::string> good;
  for (const auto& r : rows) (r.url ? good[r.line] = *r.caption : errors[r.line] = r.error);
  CHECK(good == std::map<std::size_t, std::string>{{2, "one"}, {8, "seven"}, {10, "nine"}});
  REQUIRE(errors.size() == 6);
  CHECK(errors.at(3) == "line 3: the row has 3 fields, the header 2");
  CHECK(errors.at(4).rfind("line 4: a quote inside a field that is not quoted", 0) == 0);
  CHECK(errors.at(5).rfind("line 5: a quote inside a field that is not quoted, or text after a closing quote", 0) == 0);
  CHECK(errors.at(6) == "unsupported scheme 'ftp' (only http and https)");
  CHECK(errors.at(7) == "no URL in the row");
  CHECK(errors.at(9) == "line 9: a quoted field is never closed");
}

TEST_CASE("TSV: the same rules with TABs, and a header without the URL column is refused", "[fetch][table]") {
  const auto rows = parse_table(
      "url\tcaption\tNSFW\n"
      "http://h/a.jpg\ta drop, with a comma\tUNLIKELY\n"
      "http://h/b.jpg\t\"quoted\ttab\"\tNSFW\n"
      "http://h/c.jpg\tonly two\n"
      "http://h/d.jpg\ta 5\" ruler\tUNLIKELY\n",
      ListFormat::Tsv, TableColumns{"url", "caption", {"NSFW"}});
  REQUIRE(rows.size() == 4);
  CHECK(rows[3].caption == "a 5\" ruler");
  CHECK(rows[0].caption == "a drop, with a comma");
  CHECK(nlohmann::json::parse(rows[0].columns) == nlohmann::json{{"NSFW", "UNLIKELY"}});
  CHECK(rows[1].caption == "quoted\ttab");
  CHECK_FALSE(rows[2].url);
  CHECK(rows[2].line == 4);
  CHECK(rows[2].error == "line 4: the row has 2 fields, the header 3");

  CHECK_THROWS_WITH(parse_table("link\ttext\nhttp://h/a\tx\n", ListFormat::Tsv, TableColumns{}),
                    "the header has no column 'url' (--url-col); it names link, text");
  CHECK_THROWS_WITH(parse_table("url\nhttp://h/a\n", ListFormat::Csv, TableColumns{"url", "", {"NSFW"}}),
                    "the header has no column 'NSFW' (--save-columns); it names url");
}

TEST_CASE("JSON Lines: each line an object, saved columns keep their JSON types", "[fetch][table]") {
  const auto rows = parse_table(
      "{\"url\": \"http://h/a.jpg\", \"caption\": \"a drop\", \"similarity\": 0.31, \"NSFW\": null}\n"
      "\n"
      "{\"url\": \"http://h/b.jpg\"\n"
      "[\"http://h/c.jpg\"]\n"
      "{\"link\": \"http://h/d.jpg\"}\n"
      "{\"url\": \"http://h/e.jpg\", \"caption\": 42}\n",
      ListFormat::Jsonl, TableColumns{"url", "caption", {"similarity", "NSFW", "absent"}});
  REQUIRE(rows.size() == 5);
  CHECK(rows[0].line == 1);
  CHECK(rows[0].caption == "a drop");
  CHECK(nlohmann::json::parse(rows[0].columns) ==
        nlohmann::json{{"similarity", 0.31}, {"NSFW", nullptr}, {"absent", nullptr}});
  CHECK(rows[1].line == 3);
  CHECK(rows[1].error.rfind("line 3: not JSON (parse error", 0) == 0);
  CHECK(rows[2].error == "line 4: not a JSON object");
  CHECK(rows[3].error == "line 5: no string 'url' (--url-col)");
  REQUIRE(rows[4].url);
  CHECK(rows[4].caption == "42");
}

TEST_CASE("a list's format from its name, and by name", "[fetch][table]") {
  CHECK(fetch::list_format_for("a/b.CSV") == ListFormat::Csv);
  CHECK(fetch::list_format_for("x.tsv") == ListFormat::Tsv);
  CHECK(fetch::list_format_for("x.jsonl") == ListFormat::Jsonl);
  CHECK(fetch::list_format_for("x.txt") == ListFormat::Txt);
  CHECK(fetch::list_format_for("dir.csv/list") == ListFormat::Txt);
  CHECK(fetch::list_format_for("-") == ListFormat::Txt);
  CHECK(fetch::parse_list_format("aria2") == ListFormat::Aria2);
  CHECK_FALSE(fetch::parse_list_format("parquet"));
}
