// Both apps' command lines as people type them: one value per -s, options anywhere, and the same
// mistake answered with the same kind of sentence and the same exit code by each.

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "files.hpp"
#include "subprocess.hpp"
#include "temp_dir.hpp"

namespace fs = std::filesystem;

namespace {

struct Result {
  int exit_code = -1;
  std::string err;
};

Result run(const TempDir& dir, const std::string& exe, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {exe};
  argv.insert(argv.end(), args.begin(), args.end());
  Result r;
  r.exit_code = test_support::wait_exit(test_support::spawn(argv, dir / "stdout.txt", dir / "stderr.txt"));
  r.err = test_support::slurp(dir / "stderr.txt");
  return r;
}

// One line, starting with the tool's name or "error:", holding `words`.
void check_one_line(const Result& r, const std::string& words) {
  INFO(r.err);
  CHECK(r.exit_code == 2);
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  CHECK(r.err.find(words) != std::string::npos);
}

const std::string fetch = CONC_FETCH_EXE;

// XDG_CONFIG_HOME for the programs this test starts, while it lives.
struct ConfigHome {
  explicit ConfigHome(const fs::path& folder) { ::setenv("XDG_CONFIG_HOME", folder.c_str(), 1); }
  ~ConfigHome() { ::unsetenv("XDG_CONFIG_HOME"); }
  ConfigHome(const ConfigHome&) = delete;
  ConfigHome& operator=(const ConfigHome&) = delete;
};

}  // namespace

TEST_CASE("conc-fetch: bad values, stray options and options without what they need, in sentences", "[cli]") {
  TempDir dir;
  test_support::write_file(dir / "list.txt", "http://127.0.0.1:9/x\n");
  const std::string list = (dir / "list.txt").string();
  check_one_line(run(dir, fetch, {"--layout", "tree", list}), "--layout: 'tree' is not one of flat or host");
  check_one_line(run(dir, fetch, {"--engine", "fast", list}), "--engine: 'fast' is not one of threads or multi");
  check_one_line(run(dir, fetch, {"--per-host", "many", list}), "--per-host: 'many' is not a whole number");
  check_one_line(run(dir, fetch, {"--fit", "cover", list}), "--fit has no effect without --thumbnail");
  check_one_line(run(dir, fetch, {"--format", "webp", list}), "--format has no effect without --thumbnail");
  check_one_line(run(dir, fetch, {"--thumbnail", "64", "--samples-per-tar", "5", list}),
                 "--samples-per-tar has no effect without --output-format");
  check_one_line(run(dir, fetch, {"--bogus", list}), "unknown option --bogus");
  check_one_line(run(dir, fetch, {list, "--retries"}), "--retries needs a value");
  check_one_line(run(dir, fetch, {(dir / "missing.txt").string()}), "missing.txt: no such file or directory");
  check_one_line(run(dir, fetch, {"-o", (dir / "list.txt/out").string(), list}), "cannot create");
  CHECK_FALSE(fs::exists(dir / "downloads"));
}

TEST_CASE("conc-fetch reads its configuration file, the command line wins, --no-config reads none", "[cli]") {
  TempDir dir;
  test_support::write_file(dir / "list.txt", "http://127.0.0.1:9/x\n");
  const std::string list = (dir / "list.txt").string();
  const std::string out = (dir / "out").string();
  const ConfigHome home(dir / "config");
  test_support::write_file(dir / "config/conc/fetch.conf", "retries = 7\nlayout = \"tree\"\n");
  check_one_line(run(dir, fetch, {"-o", out, list}), "--layout: 'tree' is not one of flat or host");
  // The command line's --layout and --retries win: one attempt, then the URL fails.
  const Result cli_wins = run(dir, fetch, {"--layout", "flat", "--retries", "0", "--no-progress", "-o", out, list});
  INFO(cli_wins.err);
  CHECK(cli_wins.exit_code == 1);
  CHECK(cli_wins.err.find("127.0.0.1:9/x") != std::string::npos);
  CHECK(cli_wins.err.find("attempts") == std::string::npos);
  test_support::write_file(dir / "config/conc/fetch.conf", "retires = 1\n");
  check_one_line(run(dir, fetch, {"-o", out, list}), "the configuration file names an unknown option: retires");
  CHECK(run(dir, fetch, {"--no-config", "--retries", "0", "--no-progress", "-o", out, list}).exit_code == 1);
  test_support::write_file(dir / "other.conf", "engine = \"fast\"\n");
  check_one_line(run(dir, fetch, {"--config", (dir / "other.conf").string(), list}), "--engine: 'fast'");
  check_one_line(run(dir, fetch, {"--config", (dir / "none.conf").string(), list}), "cannot read the file");
}

#ifdef CONC_THUMBS_EXE
TEST_CASE("conc-thumbs reads its configuration file for any long option", "[cli]") {
  const std::string thumbs = CONC_THUMBS_EXE;
  TempDir dir;
  fs::create_directories(dir / "photos");
  fs::copy_file(fs::path(CONC_SAMPLE_PHOTOS) / "Aqua.jpg", dir / "photos/Aqua.jpg");
  const ConfigHome home(dir / "config");
  test_support::write_file(dir / "config/conc/thumbs.conf",
                           "size = [\"32\", \"48\"]\nout = \"" + (dir / "out").string() + "\"\nno-progress = true\n");
  const Result r = run(dir, thumbs, {(dir / "photos").string()});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(fs::exists(dir / "out/32x32/Aqua.jpg"));
  CHECK(fs::exists(dir / "out/48x48/Aqua.jpg"));
  CHECK(run(dir, thumbs, {"-s", "40", "-o", (dir / "cli").string(), (dir / "photos").string()}).exit_code == 0);
  CHECK(fs::exists(dir / "cli/Aqua.jpg"));  // one size from the command line: no size folders
}

TEST_CASE("conc-thumbs: -s takes one value, options go anywhere, mistakes are sentences", "[cli]") {
  const std::string thumbs = CONC_THUMBS_EXE;
  TempDir dir;
  fs::create_directories(dir / "photos");
  fs::copy_file(fs::path(CONC_SAMPLE_PHOTOS) / "Aqua.jpg", dir / "photos/Aqua.jpg");
  const std::string photos = (dir / "photos").string();

  const Result made = run(dir, thumbs, {"-s", "64", photos, "--no-progress"});
  INFO(made.err);
  CHECK(made.exit_code == 0);
  CHECK(fs::exists(dir / "photos/thumbs/Aqua.jpg"));
  CHECK(run(dir, thumbs, {photos, "-s", "32", "-o", (dir / "out").string(), "-s", "48"}).exit_code == 0);
  CHECK(fs::exists(dir / "out/32x32/Aqua.jpg"));
  CHECK(fs::exists(dir / "out/48x48/Aqua.jpg"));

  check_one_line(run(dir, thumbs, {"--fit", "c", photos}), "--fit: 'c' is not one of contain, cover or fill");
  check_one_line(run(dir, thumbs, {"-q", "abc", photos}), "--quality: 'abc' is not a whole number from 1 to 100");
  check_one_line(run(dir, thumbs, {"--title", "Holidays", photos}), "--title has no effect without --gallery");
  check_one_line(run(dir, thumbs, {"--sort", "date", photos}), "--sort has no effect without --gallery");
  check_one_line(run(dir, thumbs, {"--gallery", "--sort", "size", photos}),
                 "--sort: 'size' is not one of name or date");
  check_one_line(run(dir, thumbs, {"--timeout", "5", "--engine", "thread", photos}),
                 "--timeout works only with --engine process");
  check_one_line(run(dir, thumbs, {"--bogus", photos}), "unknown option --bogus");
  check_one_line(run(dir, thumbs, {photos, "-s"}), "--size needs a value");
  check_one_line(run(dir, thumbs, {(dir / "nonexistent").string() + "/"}), "nonexistent/: no such file or directory");
  check_one_line(run(dir, thumbs, {"-o", (dir / "photos/Aqua.jpg/out").string(), photos}), "cannot create");
  check_one_line(run(dir, thumbs, {}), "usage: conc-thumbs [OPTIONS] INPUT...");
  check_one_line(run(dir, thumbs, {"-s", "64"}), "no INPUT");
}

TEST_CASE("the same mistake gets the same exit code from both apps", "[cli]") {
  const std::string thumbs = CONC_THUMBS_EXE;
  TempDir dir;
  fs::create_directories(dir / "photos");
  test_support::write_file(dir / "list.txt", "http://127.0.0.1:9/x\n");
  const std::string list = (dir / "list.txt").string();
  const std::string photos = (dir / "photos").string();
  const std::string blocked = (dir / "list.txt/out").string();  // below a file: cannot be made
  const std::vector<std::pair<std::vector<std::string>, std::vector<std::string>>> mistakes = {
      {{"--bogus", photos}, {"--bogus", list}},
      {{photos, "-o"}, {list, "-o"}},
      {{"--fit", "stretch", photos}, {"--thumbnail", "64", "--fit", "stretch", list}},
      {{"-q", "0", photos}, {"--thumbnail", "64", "--quality", "0", list}},
      {{(dir / "none").string()}, {(dir / "none.txt").string()}},
      {{"-o", blocked, photos}, {"-o", blocked, list}},
  };
  for (const auto& [thumbs_args, fetch_args] : mistakes) {
    const Result t = run(dir, thumbs, thumbs_args);
    const Result f = run(dir, fetch, fetch_args);
    INFO(t.err << f.err);
    CHECK(t.exit_code == 2);
    CHECK(f.exit_code == 2);
  }
}
#endif
