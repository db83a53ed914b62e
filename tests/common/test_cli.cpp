#include "cli.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace {

struct Outcome {
  std::optional<int> code;
  std::string out;
  std::string err;
};

// Parses `args` with a small app that has one option of each kind the tools use.
Outcome parse(std::vector<std::string> args) {
  CLI::App app{"test"};
  std::string fit = "contain";
  int quality = 85;
  double timeout = 0;
  std::vector<std::string> sizes;
  std::vector<std::string> inputs;
  bool gallery = false;
  std::string title;
  bool force = false;
  app.add_option("--fit", fit)->check(common::cli::one_of({"contain", "cover", "fill"}));
  app.add_option("-q,--quality", quality)->check(common::cli::whole_number(1, 100));
  app.add_option("--timeout", timeout)->check(common::cli::seconds(false));
  app.add_option("-s,--size", sizes)->allow_extra_args(false);
  app.add_flag("--gallery", gallery);
  app.add_option("--title", title);
  auto* skip = app.add_flag("--skip-existing");
  app.add_flag("--force", force)->excludes(skip);
  app.add_option("INPUT", inputs);
  app.set_version_flag("--version", "tool 1.2.3");
  args.insert(args.begin(), "tool");
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  std::ostringstream out, err;
  Outcome o;
  o.code = common::cli::parse(app, static_cast<int>(argv.size()), argv.data(), "tool", out, err);
  if (!o.code) {
    if (const auto missing = common::cli::missing_need(app, {{"--title", "--gallery"}})) err << *missing;
  }
  o.out = out.str();
  o.err = err.str();
  return o;
}

}  // namespace

TEST_CASE("a bad value is one sentence naming the option, the value and what is allowed, exit 2") {
  Outcome o = parse({"--fit", "c", "photos"});
  CHECK(o.code == 2);
  CHECK(o.err == "tool: --fit: 'c' is not one of contain, cover or fill (see tool --help)\n");
  o = parse({"-q", "abc"});
  CHECK(o.code == 2);
  CHECK(o.err == "tool: --quality: 'abc' is not a whole number from 1 to 100 (see tool --help)\n");
  CHECK(parse({"-q", "101"}).code == 2);
  CHECK(parse({"-q", "1.5"}).code == 2);
  o = parse({"--timeout", "-1"});
  CHECK(o.err == "tool: --timeout: '-1' is not a number of seconds from 0 up (see tool --help)\n");
  CHECK(parse({"--timeout", "nan"}).code == 2);
  CHECK_FALSE(parse({"--timeout", "2.5", "-q", "100", "--fit", "cover"}).code.has_value());
}

TEST_CASE("unknown options, stray arguments, missing values and exclusions in words") {
  CHECK(parse({"--bogus"}).err == "tool: unknown option --bogus (see tool --help)\n");
  CHECK(parse({"photos", "-s"}).err == "tool: --size needs a value (see tool --help)\n");
  CHECK(parse({"--force", "--skip-existing"}).err ==
        "tool: --skip-existing and --force cannot go together (see tool --help)\n");
  for (const auto& args : {std::vector<std::string>{"--bogus"}, {"-s"}, {"--force", "--skip-existing"}}) {
    const Outcome o = parse(args);
    CHECK(o.code == 2);
    CHECK(std::count(o.err.begin(), o.err.end(), '\n') == 1);
  }
}

TEST_CASE("one value per -s, so the folder after it stays an input, and options go anywhere") {
  CLI::App app{"test"};
  std::vector<std::string> sizes, inputs;
  app.add_option("-s,--size", sizes)->allow_extra_args(false);
  app.add_option("INPUT", inputs);
  std::vector<std::string> args = {"tool", "-s", "256", "photos/", "-s", "512", "more/"};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  std::ostringstream out, err;
  REQUIRE_FALSE(common::cli::parse(app, static_cast<int>(argv.size()), argv.data(), "tool", out, err).has_value());
  CHECK(sizes == std::vector<std::string>{"256", "512"});
  CHECK(inputs == std::vector<std::string>{"photos/", "more/"});
}

TEST_CASE("an option that needs another names both, and --help and --version exit 0 on stdout") {
  CHECK(parse({"--title", "Holidays", "photos"}).err == "--title has no effect without --gallery");
  CHECK(parse({"--title", "Holidays", "--gallery", "photos"}).err.empty());
  const Outcome help = parse({"--help"});
  CHECK(help.code == 0);
  CHECK(help.out.find("--fit") != std::string::npos);
  CHECK(help.err.empty());
  const Outcome version = parse({"--version"});
  CHECK(version.code == 0);
  CHECK(version.out == "tool 1.2.3\n");
}
