#include <catch2/catch.hpp>

#include "engine/open_files.hpp"

TEST_CASE("transfers at once fit in the open-file limit", "[fetch][open-files]") {
  using fetch::transfers_for_open_files;
  CHECK(transfers_for_open_files(1024) == (1024 - fetch::kFilesReserved) / fetch::kFilesPerTransfer);  // 240
  CHECK(transfers_for_open_files(20000) == 4984);
  CHECK(transfers_for_open_files(128) == 16);
  CHECK(transfers_for_open_files(64) == 1);  // never none
  CHECK(transfers_for_open_files(0) == 1);
}
