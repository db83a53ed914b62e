#include <catch2/catch.hpp>

#include <stdexcept>

#include "cli_values.hpp"

using common::parse_bytes;
using common::parse_jobs;

TEST_CASE("byte counts: plain, k, M and G (k = 1024)", "[fetch][cli-values]") {
  CHECK(parse_bytes("512") == 512);
  CHECK(parse_bytes("64k") == 65536);
  CHECK(parse_bytes("64K") == 65536);
  CHECK(parse_bytes("10M") == 10.0 * 1024 * 1024);
  CHECK(parse_bytes("1.5G") == 1.5 * 1024 * 1024 * 1024);
  CHECK(parse_bytes("0.5k") == 512);
}

TEST_CASE("byte counts that are not one are refused with the value named", "[fetch][cli-values]") {
  for (const char* bad : {"", "k", "0", "-5", "10x", "10 M", " 5", "5kk", "nan", "inf", "1e400", "0x10", "+5"}) {
    INFO(bad);
    CHECK_THROWS_WITH(parse_bytes(bad), "invalid size '" + std::string(bad) + "' (e.g. 512, 64k, 10M)");
  }
}

TEST_CASE("jobs values: auto or a count in range", "[fetch][cli-values]") {
  CHECK(parse_jobs("auto") == 0);
  CHECK(parse_jobs("1") == 1);
  CHECK(parse_jobs("64") == 64);
  CHECK(parse_jobs("100000") == 100000);
  for (const char* bad : {"", "0", "-1", "4x", " 4", "99999999999", "100001", "Auto"}) {
    INFO(bad);
    CHECK_THROWS_WITH(parse_jobs(bad), "invalid --jobs '" + std::string(bad) + "' (auto, or 1 to 100000)");
  }
}

TEST_CASE("box sizes: WxH or one side for a square, each side 1 to 65535") {
  CHECK(common::parse_box_size("256x128").width == 256);
  CHECK(common::parse_box_size("256x128").height == 128);
  CHECK(common::parse_box_size("320X200").height == 200);
  CHECK(common::parse_box_size("75").width == 75);
  CHECK(common::parse_box_size("75").height == 75);
  for (const char* bad : {"", "x", "0", "256x", "x256", "256x0", "65536", "12.5", "2x3x4", "big"}) {
    INFO(bad);
    CHECK_THROWS_AS(common::parse_box_size(bad), std::invalid_argument);
  }
}

TEST_CASE("a byte limit is 1 byte to 2^63 bytes, and a fraction of a byte is dropped", "[fetch][cli-values]") {
  using common::parse_byte_limit;
  CHECK(parse_byte_limit("1", "--max-size") == 1);
  CHECK(parse_byte_limit("1.5", "--max-size") == 1);
  CHECK(parse_byte_limit("1.5k", "--max-size") == 1536);
  CHECK(parse_byte_limit("9223372036854775808", "--max-size") == std::uint64_t{1} << 63);
  CHECK(parse_byte_limit("8589934592G", "--max-size") == std::uint64_t{1} << 63);
  for (const char* bad :
       {"0.5", "0", "1e20", "9223372036854775809", "18446744073709551616", "8589934593G", "-1", "", "x"}) {
    INFO(bad);
    CHECK_THROWS_WITH(parse_byte_limit(bad, "--max-size"),
                      "invalid --max-size '" + std::string(bad) + "' (1 byte to 2^63 bytes, e.g. 512, 64k, 10M)");
  }
}
