#include "jpeg_decode.hpp"

#include <jpeglib.h>

#include <algorithm>
#include <csetjmp>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace imaging {

namespace {

// Everything libjpeg touches lives here, constructed before setjmp(): a longjmp out of
// libjpeg then skips no destructor.
struct Context {
  jpeg_decompress_struct cinfo{};
  jpeg_error_mgr errors{};
  std::jmp_buf jump{};
  char message[JMSG_LENGTH_MAX] = {};
  bool created = false;
  Decoded out;
  ~Context() {
    if (created) jpeg_destroy_decompress(&cinfo);
  }
};

void on_error(j_common_ptr cinfo) {
  auto* ctx = static_cast<Context*>(cinfo->client_data);
  (*cinfo->err->format_message)(cinfo, ctx->message);
  std::longjmp(ctx->jump, 1);
}

// Corrupt-data warnings: libjpeg goes on with what it has, as every viewer does.
void on_message(j_common_ptr, int) {}

// The zigzag position of natural coefficient (row, column), for rows and columns 0..3.
constexpr int kZigzag[4][4] = {{0, 1, 5, 6}, {2, 4, 7, 13}, {3, 8, 12, 17}, {9, 11, 18, 24}};

// Every coefficient that the scaled IDCT reads has had a scan: the DC alone for a 1x1 output
// block, the top-left 2x2 for chroma that libjpeg scales up by IDCT instead of upsampling.
// Encoders send DC with one bit held back for a refinement scan near the end: without that bit
// a pixel is off by under a quantiser step / 8, and most of the file need not be decoded.
bool scaled_coefficients_known(const jpeg_decompress_struct& cinfo) {
  for (int component = 0; component < cinfo.num_components; ++component) {
    const int size = std::min(cinfo.comp_info[component].DCT_scaled_size, 4);
    for (int row = 0; row < size; ++row) {
      for (int column = 0; column < size; ++column) {
        if (cinfo.coef_bits[component][kZigzag[row][column]] < 0) return false;
      }
    }
  }
  return true;
}

bool read(Context& c, std::string_view data, int denominator) {
  if (setjmp(c.jump) != 0) return false;
  c.cinfo.err = jpeg_std_error(&c.errors);
  c.errors.error_exit = on_error;
  c.errors.emit_message = on_message;
  c.cinfo.client_data = &c;
  jpeg_create_decompress(&c.cinfo);
  c.created = true;
  jpeg_mem_src(&c.cinfo, reinterpret_cast<const unsigned char*>(data.data()), static_cast<unsigned long>(data.size()));
  jpeg_save_markers(&c.cinfo, JPEG_APP0 + 2, 0xFFFF);
  jpeg_read_header(&c.cinfo, TRUE);
  JOCTET* icc = nullptr;
  unsigned int icc_size = 0;
  if (jpeg_read_icc_profile(&c.cinfo, &icc, &icc_size)) {
    c.out.colour.icc.assign(reinterpret_cast<const char*>(icc), icc_size);
    std::free(icc);
  }
  int type = CV_8UC3;
  switch (c.cinfo.jpeg_color_space) {
    case JCS_GRAYSCALE:
      c.cinfo.out_color_space = JCS_GRAYSCALE;
      type = CV_8UC1;
      break;
    case JCS_CMYK:
    case JCS_YCCK:
      c.cinfo.out_color_space = JCS_CMYK;
      c.out.colour.cmyk = true;
      c.out.colour.inverted_cmyk = c.cinfo.saw_Adobe_marker;
      type = CV_8UC4;
      break;
    default:
      c.cinfo.out_color_space = JCS_EXT_BGR;
      break;
  }
  c.cinfo.scale_num = 1;
  c.cinfo.scale_denom = static_cast<unsigned int>(denominator);
  c.cinfo.dct_method = JDCT_ISLOW;
  // At 1/8 a block becomes one pixel (or 2x2 for chroma) from its first coefficients: a
  // progressive file is done once they have arrived, and the rest need not be decoded.
  const bool dc_only = denominator == 8 && jpeg_has_multiple_scans(&c.cinfo);
  c.cinfo.buffered_image = dc_only ? TRUE : FALSE;
  // Blocks whose coefficients the file never sends (a progressive file that holds only its first
  // scans) are smoothed into their neighbours, as libjpeg, browsers and Pillow show them, not left
  // flat. At 1/8 a block is one pixel, already its mean: smoothing there would cost the
  // shrink-on-load path 60% more time.
  c.cinfo.do_block_smoothing = denominator < 8 ? TRUE : FALSE;
  jpeg_start_decompress(&c.cinfo);
  c.out.pixels.create(static_cast<int>(c.cinfo.output_height), static_cast<int>(c.cinfo.output_width), type);
  if (dc_only) {
    // coef_bits changes when a scan starts: look at it only once a scan has been read whole.
    for (;;) {
      const int status = jpeg_consume_input(&c.cinfo);
      if (status == JPEG_REACHED_EOI || status == JPEG_SUSPENDED) break;
      if (status == JPEG_SCAN_COMPLETED && scaled_coefficients_known(c.cinfo)) break;
    }
    jpeg_start_output(&c.cinfo, c.cinfo.input_scan_number);
  }
  while (c.cinfo.output_scanline < c.cinfo.output_height) {
    JSAMPROW row = c.out.pixels.ptr<unsigned char>(static_cast<int>(c.cinfo.output_scanline));
    jpeg_read_scanlines(&c.cinfo, &row, 1);
  }
  if (dc_only) {
    jpeg_finish_output(&c.cinfo);
    jpeg_abort_decompress(&c.cinfo);
  } else {
    jpeg_finish_decompress(&c.cinfo);
  }
  return true;
}

}  // namespace

Decoded decode_jpeg(std::string_view data, int scale_denominator) {
  Context c;
  if (!read(c, data, scale_denominator)) throw std::runtime_error(c.message[0] != 0 ? c.message : "cannot decode JPEG");
  return std::move(c.out);
}

}  // namespace imaging
