#include "plan/table_list.hpp"

#include <csv.h>

#include <algorithm>
#include <deque>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <utility>

namespace fetch {

namespace {

// A quoted field that runs on longer than this is taken for a quote never closed.
constexpr std::size_t kMaxRowBytes = 1 << 20;

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::string joined(const std::vector<std::string>& names) {
  std::string text;
  for (const std::string& n : names) text += (text.empty() ? "" : ", ") + n;
  return text;
}

std::string dump(const nlohmann::json& j) { return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); }

// An entry for a row: its URL parsed, or the reason it has none.
ListEntry entry_for(std::size_t line, std::string url_text, std::string row_text) {
  ListEntry e;
  e.line = line;
  const auto first = url_text.find_first_not_of(" \t");
  const auto last = url_text.find_last_not_of(" \t");
  e.raw = first == std::string::npos ? std::string() : url_text.substr(first, last - first + 1);
  if (e.raw.empty()) {
    e.raw = std::move(row_text);
    e.error = "no URL in the row";
    return e;
  }
  UrlParse p = parse_url(e.raw);
  e.url = std::move(p.url);
  e.error = std::move(p.error);
  return e;
}

ListEntry bad_row(std::size_t line, std::string row_text, std::string error) {
  ListEntry e;
  e.line = line;
  e.raw = std::move(row_text);
  e.error = std::move(error);
  return e;
}

// CSV and TSV through libcsv, one line at a time, so that each row's first line is known.
class DelimitedReader {
 public:
  DelimitedReader(char delimiter, const TableColumns& columns, const std::function<void(ListEntry&&)>& on_entry)
      : delimiter_(delimiter), columns_(columns), on_entry_(on_entry) {
    start_parser();
  }
  ~DelimitedReader() { csv_free(&parser_); }
  DelimitedReader(const DelimitedReader&) = delete;
  DelimitedReader& operator=(const DelimitedReader&) = delete;

  void read(std::istream& in) {
    std::string line;
    for (;;) {
      while (!replay_.empty() || std::getline(in, line)) {
        std::size_t at = 0;
        if (!replay_.empty()) {
          std::tie(at, line) = std::move(replay_.front());
          replay_.pop_front();
        } else {
          at = ++lines_read_;
          if (at == 1 && line.compare(0, 3, "\xEF\xBB\xBF") == 0) line.erase(0, 3);
        }
        feed(at, line);
      }
      const bool closed = csv_fini(&parser_, on_field, on_row, this) == 0;
      settle_rows();
      if (closed && row_lines_.empty()) return;
      // A quote never closed: its row is reported, the lines after its first are read again.
      abandon_row("a quoted field is never closed");
      if (replay_.empty()) return;
    }
  }

 private:
  static void on_field(void* data, std::size_t size, void* self) {
    auto* r = static_cast<DelimitedReader*>(self);
    r->fields_.emplace_back(data == nullptr ? "" : std::string(static_cast<const char*>(data), size));
  }
  static void on_row(int, void* self) {
    auto* r = static_cast<DelimitedReader*>(self);
    r->rows_.push_back(std::exchange(r->fields_, {}));
  }
  static int never_space(unsigned char) { return 0; }  // RFC 4180: spaces belong to their field

  void start_parser() {
    // CSV strictly by RFC 4180; a TAB-separated caption may hold a quote (5" ruler), as pandas reads it.
    csv_init(&parser_, delimiter_ == ',' ? CSV_STRICT | CSV_STRICT_FINI : CSV_STRICT_FINI);
    csv_set_delim(&parser_, static_cast<unsigned char>(delimiter_));
    csv_set_space_func(&parser_, never_space);
  }

  void feed(std::size_t number, const std::string& line) {
    if (row_lines_.empty()) row_start_ = number;
    row_lines_.emplace_back(number, line);
    row_bytes_ += line.size() + 1;
    const std::string text = line + "\n";
    const std::size_t used = csv_parse(&parser_, text.data(), text.size(), on_field, on_row, this);
    if (used != text.size()) {
      const std::string reason = csv_error(&parser_) == CSV_EPARSE
                                     ? "a quote inside a field that is not quoted, or text after a closing quote"
                                     : csv_strerror(csv_error(&parser_));
      // What came before the error on this line may have ended rows; they stand.
      settle_rows();
      abandon_row(reason, false);
      return;
    }
    settle_rows();
    // A blank line between rows is no part of the next one.
    if (row_lines_.size() == 1 && (line.empty() || line == "\r")) {
      row_lines_.clear();
      row_bytes_ = 0;
    }
    if (row_bytes_ > kMaxRowBytes) abandon_row("a quoted field runs on for more than 1 MiB");
  }

  // The rows the last line ended.
  void settle_rows() {
    if (rows_.empty()) return;
    std::size_t start = row_start_;
    for (std::vector<std::string>& row : rows_) {
      take(start, std::move(row));
      start = row_lines_.back().first;
    }
    rows_.clear();
    row_lines_.clear();
    row_bytes_ = 0;
    fields_.clear();
  }

  // The row being read cannot be: it is reported, and (replay) the lines after its first are read again.
  void abandon_row(const std::string& reason, bool replay = true) {
    std::string text = row_lines_.empty() ? std::string() : row_lines_.front().second;
    const std::size_t line = row_lines_.empty() ? row_start_ : row_lines_.front().first;
    if (replay && row_lines_.size() > 1) {
      replay_.insert(replay_.begin(), std::next(row_lines_.begin()), row_lines_.end());
    }
    row_lines_.clear();
    row_bytes_ = 0;
    fields_.clear();
    rows_.clear();
    csv_free(&parser_);
    start_parser();
    on_entry_(bad_row(line, std::move(text), "line " + std::to_string(line) + ": " + reason));
  }

  std::string row_text(const std::vector<std::string>& row) const {
    std::string text;
    for (const std::string& f : row) text += (text.empty() ? "" : std::string(1, delimiter_)) + f;
    return text;
  }

  void take(std::size_t line, std::vector<std::string>&& row) {
    // A line of spaces is as blank as an empty one.
    if (row.size() == 1 && row[0].find_first_not_of(" \t") == std::string::npos) return;
    if (!header_) return read_header(std::move(row));
    if (row.size() != header_->size()) {
      on_entry_(bad_row(line, row_text(row),
                        "line " + std::to_string(line) + ": the row has " + std::to_string(row.size()) +
                            (row.size() == 1 ? " field" : " fields") + ", the header " +
                            std::to_string(header_->size())));
      return;
    }
    ListEntry e = entry_for(line, row[url_], row_text(row));
    if (caption_) e.caption = row[*caption_];
    if (!save_.empty()) {
      nlohmann::json saved = nlohmann::json::object();
      for (const auto& [name, index] : save_) saved[name] = row[index];
      e.columns = dump(saved);
    }
    on_entry_(std::move(e));
  }

  void read_header(std::vector<std::string>&& names) {
    auto index_of = [&](const std::string& name, const char* option) -> std::size_t {
      const auto it = std::find(names.begin(), names.end(), name);
      if (it != names.end()) return static_cast<std::size_t>(it - names.begin());
      throw TableError("the header has no column '" + name + "' (" + option + "); it names " + joined(names));
    };
    url_ = index_of(columns_.url, "--url-col");
    if (!columns_.caption.empty()) caption_ = index_of(columns_.caption, "--caption-col");
    for (const std::string& name : columns_.save) save_.emplace_back(name, index_of(name, "--save-columns"));
    header_ = std::move(names);
  }

  const char delimiter_;
  const TableColumns& columns_;
  const std::function<void(ListEntry&&)>& on_entry_;
  csv_parser parser_{};
  std::vector<std::string> fields_;                             // of the row being read
  std::vector<std::vector<std::string>> rows_;                  // ended by the line just read
  std::vector<std::pair<std::size_t, std::string>> row_lines_;  // the lines of the row being read
  std::size_t row_bytes_ = 0;
  std::size_t row_start_ = 0;
  std::size_t lines_read_ = 0;
  std::deque<std::pair<std::size_t, std::string>> replay_;  // lines to read again
  std::optional<std::vector<std::string>> header_;
  std::size_t url_ = 0;
  std::optional<std::size_t> caption_;
  std::vector<std::pair<std::string, std::size_t>> save_;
};

// A JSON value as a column's text: a string as it is, anything else as JSON.
std::string as_text(const nlohmann::json& value) { return value.is_string() ? value.get<std::string>() : dump(value); }

void read_json_lines(std::istream& in, const TableColumns& columns, const std::function<void(ListEntry&&)>& on_entry) {
  std::string line;
  std::size_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (number == 1 && line.compare(0, 3, "\xEF\xBB\xBF") == 0) line.erase(0, 3);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    const std::string where = "line " + std::to_string(number) + ": ";
    nlohmann::json row;
    try {
      row = nlohmann::json::parse(line);
    } catch (const nlohmann::json::parse_error& e) {
      const std::string what = e.what();
      const auto colon = what.find("parse error");
      on_entry(bad_row(number, line, where + "not JSON (" + what.substr(colon == std::string::npos ? 0 : colon) + ")"));
      continue;
    }
    if (!row.is_object()) {
      on_entry(bad_row(number, line, where + "not a JSON object"));
      continue;
    }
    const auto url = row.find(columns.url);
    if (url == row.end() || !url->is_string()) {
      on_entry(bad_row(number, line, where + "no string '" + columns.url + "' (--url-col)"));
      continue;
    }
    ListEntry e = entry_for(number, url->get<std::string>(), line);
    if (!columns.caption.empty()) {
      if (const auto caption = row.find(columns.caption); caption != row.end() && !caption->is_null()) {
        e.caption = as_text(*caption);
      }
    }
    if (!columns.save.empty()) {
      nlohmann::json saved = nlohmann::json::object();
      for (const std::string& name : columns.save) saved[name] = row.value(name, nlohmann::json());
      e.columns = dump(saved);
    }
    on_entry(std::move(e));
  }
}

}  // namespace

std::optional<ListFormat> parse_list_format(std::string_view name) {
  static const std::map<std::string_view, ListFormat> names = {{"txt", ListFormat::Txt},
                                                               {"aria2", ListFormat::Aria2},
                                                               {"csv", ListFormat::Csv},
                                                               {"tsv", ListFormat::Tsv},
                                                               {"jsonl", ListFormat::Jsonl}};
  const auto it = names.find(name);
  if (it == names.end()) return std::nullopt;
  return it->second;
}

const char* to_string(ListFormat format) {
  switch (format) {
    case ListFormat::Aria2:
      return "aria2";
    case ListFormat::Csv:
      return "csv";
    case ListFormat::Tsv:
      return "tsv";
    case ListFormat::Jsonl:
      return "jsonl";
    case ListFormat::Txt:
      break;
  }
  return "txt";
}

ListFormat list_format_for(std::string_view path) {
  const auto dot = path.rfind('.');
  const auto slash = path.rfind('/');
  if (dot == std::string_view::npos || (slash != std::string_view::npos && dot < slash)) return ListFormat::Txt;
  const std::string extension = lower(path.substr(dot + 1));
  if (extension == "csv") return ListFormat::Csv;
  if (extension == "tsv" || extension == "tab") return ListFormat::Tsv;
  if (extension == "jsonl" || extension == "ndjson") return ListFormat::Jsonl;
  return ListFormat::Txt;
}

void read_table(std::istream& in, ListFormat format, const TableColumns& columns,
                const std::function<void(ListEntry&&)>& on_entry) {
  if (format == ListFormat::Jsonl) return read_json_lines(in, columns, on_entry);
  DelimitedReader reader(format == ListFormat::Tsv ? '\t' : ',', columns, on_entry);
  reader.read(in);
}

std::vector<ListEntry> parse_table(std::string_view text, ListFormat format, const TableColumns& columns) {
  std::istringstream in{std::string(text)};
  std::vector<ListEntry> entries;
  read_table(in, format, columns, [&](ListEntry&& e) { entries.push_back(std::move(e)); });
  return entries;
}

}  // namespace fetch
