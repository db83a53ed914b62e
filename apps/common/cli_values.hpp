#pragma once
// Values given on the command line that CLI11 cannot check by itself: byte counts and --jobs.

#include <cstdint>
#include <string_view>

namespace common {

// "512", "64k", "10M", "1.5G" (k = 1024): a positive, finite number of bytes; std::invalid_argument
// with a one-line reason otherwise.
double parse_bytes(std::string_view text);

// A limit in bytes (--max-size): what parse_bytes() reads, from 1 byte to 2^63 bytes, a fraction of
// a byte dropped; std::invalid_argument naming `option` and the text otherwise.
std::uint64_t parse_byte_limit(std::string_view text, std::string_view option);

// A thumbnail box: "256x256", "320X200" or "256" (a square), each side 1 to 65535;
// std::invalid_argument naming the text otherwise.
struct BoxSize {
  int width = 0;
  int height = 0;
};
BoxSize parse_box_size(std::string_view text);

// A colour: black, white, grey (or gray), or six hex digits RRGGBB (a leading # allowed), as
// 0xRRGGBB; std::invalid_argument naming the text otherwise.
std::uint32_t parse_rgb(std::string_view text);

// --jobs: "auto" (0) or a count from 1 to `most`; std::invalid_argument otherwise.
unsigned parse_jobs(std::string_view text, unsigned most = 100000);

}  // namespace common
