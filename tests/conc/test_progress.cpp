#include <catch2/catch.hpp>
#include <conc/progress.hpp>

#include <algorithm>
#include <cstdio>
#include <string>

namespace {
std::string read_all(std::FILE* f) {
  std::rewind(f);
  std::string out;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  return out;
}
}  // namespace

TEST_CASE("progress line shows counts, rate, bar and ETA", "[progress]") {
  conc::ProgressSnapshot s{.done = 50, .total = 200, .failed = 0, .bytes = 0, .elapsed_seconds = 10};
  const std::string line = conc::format_progress(s, "thumbs", "img", 80);
  CHECK(line.size() <= 80);
  CHECK(line.find("thumbs [") == 0);
  CHECK(line.find("50/200 img") != std::string::npos);
  CHECK(line.find("5.0/s") != std::string::npos);
  CHECK(line.find("ETA 0:30") != std::string::npos);
  // A quarter of the bar is filled.
  const auto open = line.find('[');
  const auto close = line.find(']');
  const std::string bar = line.substr(open + 1, close - open - 1);
  const auto filled = static_cast<double>(std::count(bar.begin(), bar.end(), '#'));
  CHECK(filled / static_cast<double>(bar.size()) == Approx(0.25).margin(0.05));
}

TEST_CASE("progress line with bytes, failures and unknown total", "[progress]") {
  conc::ProgressSnapshot s{.done = 3, .total = 0, .failed = 1, .bytes = 2'500'000, .elapsed_seconds = 2};
  const std::string line = conc::format_progress(s, "", "files", 100);
  CHECK(line.find("3 files (1 failed)") != std::string::npos);
  CHECK(line.find("2.50 MB 1.25 MB/s") != std::string::npos);
  CHECK(line.find("ETA") == std::string::npos);
  CHECK(line.find('[') == std::string::npos);
}

TEST_CASE("progress line ends with the status, which gives way first when the line is narrow", "[progress]") {
  conc::ProgressSnapshot s{.done = 50, .total = 200, .elapsed_seconds = 10, .status = "waiting 30 s: Retry-After"};
  const std::string wide = conc::format_progress(s, "fetch", "files", 120);
  CHECK(wide.size() <= 120);
  CHECK(wide.find("50/200 files") != std::string::npos);
  CHECK(wide.size() >= std::string(" | waiting 30 s: Retry-After").size());
  CHECK(wide.substr(wide.size() - std::string(" | waiting 30 s: Retry-After").size()) ==
        " | waiting 30 s: Retry-After");
  const std::string narrow = conc::format_progress(s, "fetch", "files", 60);
  CHECK(narrow.size() <= 60);
  CHECK(narrow.find("50/200 files") != std::string::npos);
  CHECK(narrow.find("Retry-After") == std::string::npos);
}

TEST_CASE("a new status is drawn at once", "[progress]") {
  std::FILE* f = std::tmpfile();
  REQUIRE(f != nullptr);
  {
    conc::Progress bar(10, {.stream = f, .mode = conc::ProgressOptions::Mode::Always, .width = 100});
    bar.advance();
    bar.set_status("waiting for example.com");
    CHECK(read_all(f).find("| waiting for example.com") != std::string::npos);
    std::fseek(f, 0, SEEK_END);
    bar.set_status("");
    CHECK(bar.snapshot().status.empty());
  }
  std::fclose(f);
}

TEST_CASE("byte and duration formatting", "[progress]") {
  CHECK(conc::format_bytes(12) == "12 B");
  CHECK(conc::format_bytes(1500) == "1.50 kB");
  CHECK(conc::format_bytes(812'000) == "812 kB");
  CHECK(conc::format_bytes(3.2e9) == "3.20 GB");
  CHECK(conc::format_duration(65) == "1:05");
  CHECK(conc::format_duration(3723) == "1:02:03");
  CHECK(conc::format_duration(-1) == "--:--");
}

TEST_CASE("progress is silent when its stream is not a terminal", "[progress]") {
  std::FILE* f = std::tmpfile();
  REQUIRE(f != nullptr);
  {
    conc::Progress bar(10, {.stream = f});
    CHECK_FALSE(bar.enabled());
    for (int i = 0; i < 10; ++i) bar.advance();
    CHECK(bar.snapshot().done == 10);
  }
  CHECK(read_all(f).empty());
  std::fclose(f);
}

TEST_CASE("progress draws and ends its line when forced on", "[progress]") {
  std::FILE* f = std::tmpfile();
  REQUIRE(f != nullptr);
  {
    conc::Progress bar(4, {.label = "work", .stream = f, .mode = conc::ProgressOptions::Mode::Always, .width = 60});
    bar.advance(2);
    bar.advance(2, true);
    bar.finish();
    bar.finish();
  }
  const std::string out = read_all(f);
  CHECK(out.find("\rwork [") != std::string::npos);
  CHECK(out.find("4/4 items (2 failed)") != std::string::npos);
  CHECK(std::count(out.begin(), out.end(), '\n') == 1);
  CHECK(out.back() == '\n');
  std::fclose(f);
}

TEST_CASE("clear empties the bar's line for a message, and only on a terminal", "[progress]") {
  std::FILE* f = std::tmpfile();
  REQUIRE(f != nullptr);
  {
    conc::Progress bar(4, {.label = "work", .stream = f, .mode = conc::ProgressOptions::Mode::Always, .width = 60});
    bar.advance();
    bar.clear();
  }
  const std::string out = read_all(f);
  CHECK(out.find("\r\x1b[K") != std::string::npos);
  std::fclose(f);

  std::FILE* quiet = std::tmpfile();
  REQUIRE(quiet != nullptr);
  {
    conc::Progress bar(4, {.stream = quiet});
    bar.advance();
    bar.clear();
  }
  CHECK(read_all(quiet).empty());
  std::fclose(quiet);
}
