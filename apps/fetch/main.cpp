// conc-fetch: downloads URL lists on the thread pool.
// The command line is in place; the downloader itself is not built yet.

#include <CLI/CLI.hpp>

int main(int argc, char** argv) {
  CLI::App app{"conc-fetch: bulk-download URL lists (not implemented yet: --help only)"};
  app.set_version_flag("--version", "conc-fetch 0.1.0");
  app.footer("Examples:\n  conc-fetch urls.txt            (downloading is not implemented in this version)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;  // --help and --version exit 0, usage errors 2
  }
  std::fprintf(stderr, "conc-fetch: downloading is not implemented in this version\n");
  return 2;
}
