// The TIFF Orientation tag, all eight values, in every kind of TIFF libtiff's RGBA interface reads
// (uncompressed RGBA, bilevel G4 fax, tiles, separate planes, YCbCr JPEG, palette, 16 bits, CMYK,
// grey): the same stored pixels under each tag give the upright picture EXIF defines, turned once.
// Pillow (TiffImagePlugin) and vipsthumbnail show every one of them so. Each input is written here
// with libtiff.

#include <catch2/catch.hpp>

#include <tiffio.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <opencv2/imgcodecs.hpp>
#include <string>
#include <vector>

#include "temp_dir.hpp"
#include "thumbnail.hpp"

namespace fs = std::filesystem;

namespace {

constexpr int kWidth = 64;
constexpr int kHeight = 40;

// Dark where the picture has a mark: a bar along the top-left and a block at the bottom right, so
// that no turn or mirror leaves it as it was.
bool marked(int x, int y) { return (x < kWidth / 2 && y < kHeight / 3) || (x >= 3 * kWidth / 4 && y >= kHeight / 2); }

// The colour of the stored pixel (x, y): the marks dark, and the rest in a colour per quadrant.
cv::Vec3b rgb_at(int x, int y) {
  if (marked(x, y)) return {20, 20, 20};
  const bool right = x >= kWidth / 2;
  const bool bottom = y >= kHeight / 2;
  return !right && !bottom  ? cv::Vec3b(230, 40, 40)
         : right && !bottom ? cv::Vec3b(40, 200, 40)
         : !right && bottom ? cv::Vec3b(40, 40, 230)
                            : cv::Vec3b(240, 240, 240);
}

struct Kind {
  const char* name;
  std::function<void(TIFF*)> write;  // sets the kind's tags and writes the pixels
};

void set_size(TIFF* t) {
  TIFFSetField(t, TIFFTAG_IMAGEWIDTH, kWidth);
  TIFFSetField(t, TIFFTAG_IMAGELENGTH, kHeight);
}

void write_rgb_rows(TIFF* t, int bits, int extra_alpha, int compression) {
  set_size(t);
  const int samples = 3 + extra_alpha;
  TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, bits);
  TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, samples);
  TIFFSetField(t, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_RGB);
  TIFFSetField(t, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
  TIFFSetField(t, TIFFTAG_COMPRESSION, compression);
  TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, 16);
  if (extra_alpha != 0) {
    const std::uint16_t kind[1] = {EXTRASAMPLE_UNASSALPHA};
    TIFFSetField(t, TIFFTAG_EXTRASAMPLES, 1, kind);
  }
  const int bytes = bits / 8;
  std::vector<unsigned char> row(static_cast<std::size_t>(kWidth * samples * bytes));
  for (int y = 0; y < kHeight; ++y) {
    for (int x = 0; x < kWidth; ++x) {
      const cv::Vec3b c = rgb_at(x, y);
      for (int s = 0; s < samples; ++s) {
        const unsigned value = s < 3 ? c[s] : 255u;
        const std::size_t at = static_cast<std::size_t>((x * samples + s) * bytes);
        if (bytes == 2) {
          const std::uint16_t wide = static_cast<std::uint16_t>(value * 257);
          std::memcpy(&row[at], &wide, 2);
        } else {
          row[at] = static_cast<unsigned char>(value);
        }
      }
    }
    REQUIRE(TIFFWriteScanline(t, row.data(), static_cast<std::uint32_t>(y), 0) == 1);
  }
}

const std::vector<Kind>& kinds() {
  static const std::vector<Kind> all = {
      {"uncompressed RGBA", [](TIFF* t) { write_rgb_rows(t, 8, 1, COMPRESSION_NONE); }},
      {"16-bit RGB, deflate", [](TIFF* t) { write_rgb_rows(t, 16, 0, COMPRESSION_ADOBE_DEFLATE); }},
      {"bilevel G4 fax",
       [](TIFF* t) {
         set_size(t);
         TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 1);
         TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, 1);
         TIFFSetField(t, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISWHITE);
         TIFFSetField(t, TIFFTAG_COMPRESSION, COMPRESSION_CCITTFAX4);
         TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, kHeight);
         std::vector<unsigned char> row(kWidth / 8);
         for (int y = 0; y < kHeight; ++y) {
           std::fill(row.begin(), row.end(), 0);
           for (int x = 0; x < kWidth; ++x) {
             if (marked(x, y)) row[static_cast<std::size_t>(x / 8)] |= static_cast<unsigned char>(0x80 >> (x % 8));
           }
           REQUIRE(TIFFWriteScanline(t, row.data(), static_cast<std::uint32_t>(y), 0) == 1);
         }
       }},
      {"grey",
       [](TIFF* t) {
         set_size(t);
         TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 8);
         TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, 1);
         TIFFSetField(t, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISBLACK);
         TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, 8);
         std::vector<unsigned char> row(kWidth);
         for (int y = 0; y < kHeight; ++y) {
           for (int x = 0; x < kWidth; ++x) row[static_cast<std::size_t>(x)] = rgb_at(x, y)[1];
           REQUIRE(TIFFWriteScanline(t, row.data(), static_cast<std::uint32_t>(y), 0) == 1);
         }
       }},
      {"palette",
       [](TIFF* t) {
         set_size(t);
         TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 8);
         TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, 1);
         TIFFSetField(t, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_PALETTE);
         TIFFSetField(t, TIFFTAG_COMPRESSION, COMPRESSION_LZW);
         TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, kHeight);
         std::vector<std::uint16_t> red(256, 0), green(256, 0), blue(256, 0);
         std::vector<cv::Vec3b> entries;
         std::vector<unsigned char> indices(static_cast<std::size_t>(kWidth * kHeight));
         for (int y = 0; y < kHeight; ++y) {
           for (int x = 0; x < kWidth; ++x) {
             const cv::Vec3b c = rgb_at(x, y);
             auto found = std::find(entries.begin(), entries.end(), c);
             if (found == entries.end()) found = entries.insert(entries.end(), c);
             indices[static_cast<std::size_t>(y * kWidth + x)] = static_cast<unsigned char>(found - entries.begin());
           }
         }
         for (std::size_t i = 0; i < entries.size(); ++i) {
           red[i] = static_cast<std::uint16_t>(entries[i][0] * 257);
           green[i] = static_cast<std::uint16_t>(entries[i][1] * 257);
           blue[i] = static_cast<std::uint16_t>(entries[i][2] * 257);
         }
         TIFFSetField(t, TIFFTAG_COLORMAP, red.data(), green.data(), blue.data());
         for (int y = 0; y < kHeight; ++y) {
           REQUIRE(TIFFWriteScanline(t, &indices[static_cast<std::size_t>(y * kWidth)], static_cast<std::uint32_t>(y),
                                     0) == 1);
         }
       }},
      {"separate planes",
       [](TIFF* t) {
         set_size(t);
         TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 8);
         TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, 3);
         TIFFSetField(t, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_RGB);
         TIFFSetField(t, TIFFTAG_PLANARCONFIG, PLANARCONFIG_SEPARATE);
         TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, 16);
         std::vector<unsigned char> row(kWidth);
         for (std::uint16_t plane = 0; plane < 3; ++plane) {
           for (int y = 0; y < kHeight; ++y) {
             for (int x = 0; x < kWidth; ++x) row[static_cast<std::size_t>(x)] = rgb_at(x, y)[plane];
             REQUIRE(TIFFWriteScanline(t, row.data(), static_cast<std::uint32_t>(y), plane) == 1);
           }
         }
       }},
      {"tiles",
       [](TIFF* t) {
         set_size(t);
         TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 8);
         TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, 3);
         TIFFSetField(t, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_RGB);
         TIFFSetField(t, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
         TIFFSetField(t, TIFFTAG_COMPRESSION, COMPRESSION_LZW);
         TIFFSetField(t, TIFFTAG_TILEWIDTH, 16);
         TIFFSetField(t, TIFFTAG_TILELENGTH, 16);
         std::vector<unsigned char> tile(16 * 16 * 3);
         for (int ty = 0; ty < kHeight; ty += 16) {
           for (int tx = 0; tx < kWidth; tx += 16) {
             std::fill(tile.begin(), tile.end(), 0);
             for (int y = ty; y < std::min(ty + 16, kHeight); ++y) {
               for (int x = tx; x < tx + 16; ++x) {
                 const cv::Vec3b c = rgb_at(x, y);
                 for (int s = 0; s < 3; ++s) tile[static_cast<std::size_t>(((y - ty) * 16 + (x - tx)) * 3 + s)] = c[s];
               }
             }
             REQUIRE(TIFFWriteTile(t, tile.data(), static_cast<std::uint32_t>(tx), static_cast<std::uint32_t>(ty), 0,
                                   0) > 0);
           }
         }
       }},
      {"YCbCr JPEG",
       [](TIFF* t) {
         set_size(t);
         TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 8);
         TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, 3);
         TIFFSetField(t, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_YCBCR);
         TIFFSetField(t, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
         TIFFSetField(t, TIFFTAG_COMPRESSION, COMPRESSION_JPEG);
         TIFFSetField(t, TIFFTAG_JPEGCOLORMODE, JPEGCOLORMODE_RGB);
         TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, 16);
         std::vector<unsigned char> row(kWidth * 3);
         for (int y = 0; y < kHeight; ++y) {
           for (int x = 0; x < kWidth; ++x) {
             for (int s = 0; s < 3; ++s) row[static_cast<std::size_t>(x * 3 + s)] = rgb_at(x, y)[s];
           }
           REQUIRE(TIFFWriteScanline(t, row.data(), static_cast<std::uint32_t>(y), 0) == 1);
         }
       }},
      {"CMYK",
       [](TIFF* t) {
         set_size(t);
         TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 8);
         TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, 4);
         TIFFSetField(t, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_SEPARATED);
         TIFFSetField(t, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
         TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, 16);
         std::vector<unsigned char> row(kWidth * 4);
         for (int y = 0; y < kHeight; ++y) {
           for (int x = 0; x < kWidth; ++x) {
             const cv::Vec3b c = rgb_at(x, y);
             for (int s = 0; s < 3; ++s)
               row[static_cast<std::size_t>(x * 4 + s)] = static_cast<unsigned char>(255 - c[s]);
             row[static_cast<std::size_t>(x * 4 + 3)] = 0;
           }
           REQUIRE(TIFFWriteScanline(t, row.data(), static_cast<std::uint32_t>(y), 0) == 1);
         }
       }},
  };
  return all;
}

// The stored pixel an upright pixel (u, v) shows under EXIF orientation o (TIFF's own numbering).
cv::Point stored_for(int o, int u, int v, int w, int h) {
  switch (o) {
    case 2:
      return {w - 1 - u, v};
    case 3:
      return {w - 1 - u, h - 1 - v};
    case 4:
      return {u, h - 1 - v};
    case 5:
      return {v, u};
    case 6:
      return {v, h - 1 - u};
    case 7:
      return {w - 1 - v, h - 1 - u};
    case 8:
      return {w - 1 - v, u};
    default:
      return {u, v};
  }
}

cv::Mat thumbnail(const fs::path& source, const fs::path& out) {
  imaging::ThumbJob job;
  job.source = source.string();
  job.outputs = {{out.string(), {200, 200}}};  // larger than the image: no resize
  job.format = imaging::OutputFormat::Png;
  const imaging::ThumbResult r = imaging::make_thumbnail(job);
  INFO(r.error);
  REQUIRE(r.ok);
  return cv::imread(out.string(), cv::IMREAD_UNCHANGED);
}

}  // namespace

TEST_CASE("the TIFF Orientation tag turns every kind of TIFF upright, once", "[thumbs][tiff][orientation]") {
  TempDir dir;
  for (const Kind& kind : kinds()) {
    cv::Mat stored;  // as tagged 1: the pixels as they are stored
    for (int o = 1; o <= 8; ++o) {
      INFO(kind.name << ", orientation " << o);
      const fs::path path = dir / ("o" + std::to_string(o) + ".tif");
      TIFF* t = TIFFOpen(path.c_str(), "w");
      REQUIRE(t != nullptr);
      REQUIRE(TIFFSetField(t, TIFFTAG_ORIENTATION, o) == 1);
      kind.write(t);
      TIFFClose(t);
      const cv::Mat upright = thumbnail(path, dir / "out.png");
      if (o == 1) {
        stored = upright;
        // As drawn, not upside down: the top left dark, the top right light.
        REQUIRE(stored.size() == cv::Size(kWidth, kHeight));
        auto lightest = [&](cv::Rect r) {
          const cv::Scalar m = cv::mean(stored(r));
          return std::max({m[0], m[1], m[2]});
        };
        CHECK(lightest(cv::Rect(2, 2, 4, 4)) < 80);
        CHECK(lightest(cv::Rect(kWidth - 6, 2, 4, 4)) > 120);
        continue;
      }
      const bool turned = o >= 5;
      REQUIRE(upright.size() == (turned ? cv::Size(kHeight, kWidth) : cv::Size(kWidth, kHeight)));
      REQUIRE(upright.type() == stored.type());
      int wrong = 0;
      for (int v = 0; v < upright.rows; ++v) {
        for (int u = 0; u < upright.cols; ++u) {
          const cv::Point s = stored_for(o, u, v, kWidth, kHeight);
          const std::size_t bytes = upright.elemSize();
          if (std::memcmp(upright.ptr(v, u), stored.ptr(s.y, s.x), bytes) != 0) ++wrong;
        }
      }
      CHECK(wrong == 0);
    }
  }
}
