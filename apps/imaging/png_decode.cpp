#include "png_decode.hpp"

#include <png.h>

#include <algorithm>
#include <csetjmp>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace imaging {

namespace {

// Everything the libpng calls touch lives here, constructed before setjmp(): a longjmp out
// of libpng then skips no destructor.
struct Context {
  std::string_view data;
  std::size_t pos = 0;
  std::jmp_buf jump{};
  char message[256] = {};
  png_structp png = nullptr;
  png_infop info = nullptr;
  std::vector<unsigned char> row;
  std::vector<std::uint64_t> sums;
  std::vector<unsigned char> whole;  // interlaced images only
  Decoded out;
  int factor = 1;

  ~Context() {
    if (png != nullptr) png_destroy_read_struct(&png, info != nullptr ? &info : nullptr, nullptr);
  }
};

void on_error(png_structp png, png_const_charp msg) {
  auto* ctx = static_cast<Context*>(png_get_error_ptr(png));
  std::snprintf(ctx->message, sizeof ctx->message, "%s", msg);
  std::longjmp(ctx->jump, 1);
}

void on_warning(png_structp, png_const_charp) {}

void on_read(png_structp png, png_bytep out, png_size_t length) {
  auto* ctx = static_cast<Context*>(png_get_io_ptr(png));
  if (ctx->data.size() - ctx->pos < length) png_error(png, "truncated PNG data");
  std::memcpy(out, ctx->data.data() + ctx->pos, length);
  ctx->pos += length;
}

// Adds one row of pixels into the per-block sums, a block of `factor` pixels at a time. With
// alpha, colours are summed weighted by alpha (premultiplied) and the alpha sum divides them.
template <int Channels>
void accumulate(const unsigned char* px, std::uint64_t* sums, int width, int factor) {
  for (int x = 0; x < width; x += factor, sums += Channels) {
    const int n = std::min(factor, width - x);
    std::uint32_t acc[Channels] = {};
    for (int k = 0; k < n; ++k, px += Channels) {
      if constexpr (Channels == 4) {
        const std::uint32_t a = px[3];
        for (int ch = 0; ch < 3; ++ch) acc[ch] += px[ch] * a;
        acc[3] += a;
      } else {
        for (int ch = 0; ch < Channels; ++ch) acc[ch] += px[ch];
      }
    }
    for (int ch = 0; ch < Channels; ++ch) sums[ch] += acc[ch];
  }
}

// Writes one output row: the average of the accumulated block.
void emit_row(Context& c, int out_y, int rows_in_block, int width, int channels) {
  cv::Mat& image = c.out.pixels;
  auto* dst = image.ptr<unsigned char>(out_y);
  const int out_w = image.cols;
  for (int ox = 0; ox < out_w; ++ox) {
    const int cols = std::min(c.factor, width - ox * c.factor);
    const std::uint64_t n = static_cast<std::uint64_t>(cols * rows_in_block);
    std::uint64_t* s = &c.sums[static_cast<std::size_t>(ox * channels)];
    unsigned char* d = dst + ox * channels;
    // libpng gives RGB(A); OpenCV wants BGR(A): swap here, on the small image.
    if (channels == 1) {
      d[0] = static_cast<unsigned char>((s[0] + n / 2) / n);
    } else if (channels == 3) {
      for (int ch = 0; ch < 3; ++ch) d[2 - ch] = static_cast<unsigned char>((s[ch] + n / 2) / n);
    } else {
      const std::uint64_t alpha_sum = s[3];
      for (int ch = 0; ch < 3; ++ch) {
        d[2 - ch] = alpha_sum == 0 ? 0 : static_cast<unsigned char>((s[ch] + alpha_sum / 2) / alpha_sum);
      }
      d[3] = static_cast<unsigned char>((alpha_sum + n / 2) / n);
    }
    for (int ch = 0; ch < channels; ++ch) s[ch] = 0;
  }
}

void accumulate_row(Context& c, const unsigned char* row, int width, int channels) {
  switch (channels) {
    case 1:
      accumulate<1>(row, c.sums.data(), width, c.factor);
      break;
    case 3:
      accumulate<3>(row, c.sums.data(), width, c.factor);
      break;
    default:
      accumulate<4>(row, c.sums.data(), width, c.factor);
      break;
  }
}

// All libpng work; false when libpng reported an error (message in c.message).
bool read(Context& c) {
  if (setjmp(c.jump) != 0) return false;
  c.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &c, on_error, on_warning);
  if (c.png == nullptr) return false;
  c.info = png_create_info_struct(c.png);
  if (c.info == nullptr) return false;
  png_set_read_fn(c.png, &c, on_read);
  png_read_info(c.png, c.info);
  const png_uint_32 width = png_get_image_width(c.png, c.info);
  const png_uint_32 height = png_get_image_height(c.png, c.info);
  png_charp name = nullptr;
  int compression = 0;
  png_bytep profile = nullptr;
  png_uint_32 profile_size = 0;
  if (png_get_iCCP(c.png, c.info, &name, &compression, &profile, &profile_size) != 0 && profile != nullptr) {
    c.out.colour.icc.assign(reinterpret_cast<const char*>(profile), profile_size);
  }
  // To 8-bit grey, RGB or RGBA: grey with alpha (or a tRNS colour) becomes RGBA.
  const int colour = png_get_color_type(c.png, c.info);
  png_set_expand(c.png);
  png_set_strip_16(c.png);
  const bool grey_alpha = colour == PNG_COLOR_TYPE_GRAY_ALPHA ||
                          (colour == PNG_COLOR_TYPE_GRAY && png_get_valid(c.png, c.info, PNG_INFO_tRNS) != 0);
  if (grey_alpha) {
    png_set_gray_to_rgb(c.png);
    c.out.colour.icc.clear();  // a grey profile no longer fits the RGB pixels
  }
  const int passes = png_set_interlace_handling(c.png);
  png_read_update_info(c.png, c.info);
  const int channels = png_get_channels(c.png, c.info);
  if (channels < 1 || channels > 4 || channels == 2) png_error(c.png, "unsupported PNG pixel layout");

  const int w = static_cast<int>(width);
  const int h = static_cast<int>(height);
  const int out_w = (w + c.factor - 1) / c.factor;
  const int out_h = (h + c.factor - 1) / c.factor;
  c.out.pixels.create(out_h, out_w, CV_8UC(channels));
  const std::size_t row_bytes = png_get_rowbytes(c.png, c.info);
  c.sums.assign(static_cast<std::size_t>(out_w) * static_cast<std::size_t>(channels), 0);
  if (passes > 1) {
    // Interlaced: every pass touches every row, so the whole image is read first.
    c.whole.resize(row_bytes * height);
    std::vector<png_bytep> rows(height);
    for (png_uint_32 y = 0; y < height; ++y) rows[y] = c.whole.data() + row_bytes * y;
    png_read_image(c.png, rows.data());
  } else {
    c.row.resize(row_bytes);
  }
  int rows_in_block = 0;
  int out_y = 0;
  for (int y = 0; y < h; ++y) {
    const unsigned char* row = c.row.data();
    if (passes > 1) {
      row = c.whole.data() + row_bytes * static_cast<std::size_t>(y);
    } else {
      png_read_row(c.png, c.row.data(), nullptr);
    }
    accumulate_row(c, row, w, channels);
    if (++rows_in_block == c.factor || y == h - 1) {
      emit_row(c, out_y++, rows_in_block, w, channels);
      rows_in_block = 0;
    }
  }
  png_read_end(c.png, nullptr);
  return true;
}

}  // namespace

Decoded decode_png_shrunk(std::string_view data, int factor) {
  Context c;
  c.data = data;
  c.factor = factor < 1 ? 1 : factor;
  if (!read(c)) throw std::runtime_error(c.message[0] != 0 ? c.message : "cannot decode PNG data");
  return std::move(c.out);
}

}  // namespace imaging
