// conc-fetch-thumbnailer: the program conc-fetch --thumbnail starts its workers from. It holds the
// imaging code (OpenCV and the format libraries), so that conc-fetch itself loads none of it and
// starts as quickly as curl; conc-fetch finds it beside itself or in ../libexec/conc/.

#include <conc/task.hpp>
#include <cstring>
#include <iostream>

#include "cli.hpp"
#include "library_versions.hpp"

int main(int argc, char** argv) {
  conc::worker_main_if_requested(argc, argv);
  if (argc == 2 && std::strcmp(argv[1], "--version") == 0) {
    std::cout << imaging::readable_formats() << "\n" << common::cli::listing(imaging::library_versions(), 77) << "\n";
    return 0;
  }
  std::cerr << "conc-fetch-thumbnailer: conc-fetch --thumbnail starts this program; it does nothing by itself\n";
  return 2;
}
