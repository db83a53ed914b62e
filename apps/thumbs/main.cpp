// conc-thumbs: thumbnails whole photo folders on the process pool.
// The command line is in place; the thumbnailer itself is not built yet.

#include <CLI/CLI.hpp>

#include <conc/task.hpp>

int main(int argc, char** argv) {
  conc::worker_main_if_requested(argc, argv);
  CLI::App app{"conc-thumbs: thumbnail whole photo folders on all cores (not implemented yet: --help only)"};
  app.set_version_flag("--version", "conc-thumbs 0.1.0");
  app.footer("Examples:\n  conc-thumbs photos/            (thumbnailing is not implemented in this version)");
  CLI11_PARSE(app, argc, argv);
  std::fprintf(stderr, "conc-thumbs: thumbnailing is not implemented in this version\n");
  return 2;
}
