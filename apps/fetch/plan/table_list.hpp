#pragma once
// Lists that are tables, as dataset builders keep them: CSV (RFC 4180: quotes, embedded commas and
// newlines), TSV (the same rules with TABs, as pandas and Python's csv module read it) and JSON
// Lines (one object a line). A header row (CSV, TSV) or each object's keys (JSONL) name the columns:
// one holds the URL, one may hold the caption, others may be saved with each sample.
//
// CSV and TSV are read by libcsv, JSON Lines by nlohmann::json. A row that cannot be read is an
// entry with an error and its line, and costs only itself: a quote never closed is reported on
// its row, and the lines after it are read again as rows of their own.

#include <cstddef>
#include <functional>
#include <istream>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "plan/url_list.hpp"

namespace fetch {

enum class ListFormat { Txt, Aria2, Csv, Tsv, Jsonl };

// "txt", "aria2", "csv", "tsv", "jsonl"; nothing for another word.
std::optional<ListFormat> parse_list_format(std::string_view name);
const char* to_string(ListFormat format);
// The format a list file's name implies: .csv, .tsv (or .tab), .jsonl (or .ndjson); txt otherwise.
ListFormat list_format_for(std::string_view path);
inline bool is_table(ListFormat format) {
  return format == ListFormat::Csv || format == ListFormat::Tsv || format == ListFormat::Jsonl;
}

// Which columns of a table matter.
struct TableColumns {
  std::string url = "url";
  std::string caption;            // empty: no caption
  std::vector<std::string> save;  // kept with each sample, in this order
};

// A table that cannot be used at all: its header lacks a column the options name, or it has no header.
struct TableError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Reads a table row by row, handing each over as soon as it is whole (a list of millions of rows
// is never held). Entries carry the caption and the saved columns (ListEntry::caption, ::columns);
// `line` is the line the row starts on. Throws TableError when the header does not name the columns.
void read_table(std::istream& in, ListFormat format, const TableColumns& columns,
                const std::function<void(ListEntry&&)>& on_entry);

// The whole table at once (tests).
std::vector<ListEntry> parse_table(std::string_view text, ListFormat format, const TableColumns& columns);

}  // namespace fetch
