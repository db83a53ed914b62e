#pragma once
// URL lists: one URL per line, blank lines and # comments ignored; aria2c's input-file
// convention understood too (option lines indented under their URL: out=NAME,
// checksum=sha-256=HEX), so existing aria2 lists work.

#include <cstddef>
#include <functional>
#include <istream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fetch {

struct Url {
  std::string scheme;  // "http" or "https", lower case
  std::string host;    // lower case, without port or credentials
  int port = 0;        // 0: the scheme's default
  std::string path;    // from the first '/', without query or fragment ("/" when empty)
  std::string query;   // without '?'
  std::string text;    // the URL to request: host in ASCII (punycode), spaces as %20, no fragment
};

// Parses an absolute http(s) URL; an error message otherwise. International host names become
// punycode and spaces in the path or query %20.
struct UrlParse {
  std::optional<Url> url;
  std::string error;
};
UrlParse parse_url(std::string_view text);

struct ListEntry {
  std::size_t line = 0;  // 1-based line of the URL in the list
  std::string raw;       // the URL as written
  std::optional<Url> url;
  std::string error;         // why the line is not a usable URL (then url is empty)
  std::string out;           // aria2 out=NAME, empty when not given
  std::string sha256;        // aria2 checksum=sha-256=HEX (lower-case hex), empty when not given
  std::vector<Url> mirrors;  // aria2: more URIs of the same file after TABs, tried in turn when one fails
  // Tables (table_list.hpp): the row's caption (--caption-col) as written, and its saved columns
  // (--save-columns) as a JSON object's text, names to values; empty: none.
  std::optional<std::string> caption;
  std::string columns;
};

// Reads a whole list. Malformed lines become entries with an error; option lines that are not
// understood are reported in `warnings` and otherwise ignored.
struct UrlList {
  std::vector<ListEntry> entries;
  std::vector<std::string> warnings;
};
UrlList parse_url_list(std::istream& in);
// The same, one entry at a time (after its option lines), so that a list of millions of URLs is
// never held whole. When no more input is ready (a pipe whose writer is slow), the last entry is
// handed over at once.
void read_url_list(std::istream& in, const std::function<void(ListEntry&&)>& on_entry,
                   const std::function<void(std::string&&)>& on_warning);
UrlList parse_url_list(std::string_view text);

}  // namespace fetch
