#include "png_decode.hpp"

#include <png.h>

#include <algorithm>
#include <csetjmp>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace thumbs {

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
  std::vector<std::uint32_t> sums;
  cv::Mat out;
  int factor = 1;
  bool interlaced = false;

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

// Adds one row of pixels into the per-block sums, a block of `factor` pixels at a time.
template <int Channels>
void accumulate(const unsigned char* px, std::uint32_t* sums, int width, int factor) {
  for (int x = 0; x < width; x += factor, sums += Channels) {
    const int n = std::min(factor, width - x);
    std::uint32_t acc[Channels] = {};
    for (int k = 0; k < n; ++k, px += Channels) {
      for (int ch = 0; ch < Channels; ++ch) acc[ch] += px[ch];
    }
    for (int ch = 0; ch < Channels; ++ch) sums[ch] += acc[ch];
  }
}

// Writes one output row: the average of the accumulated block.
void emit_row(Context& c, int out_y, int rows_in_block, int width, int channels) {
  auto* dst = c.out.ptr<unsigned char>(out_y);
  const int out_w = c.out.cols;
  for (int ox = 0; ox < out_w; ++ox) {
    const int cols = std::min(c.factor, width - ox * c.factor);
    const std::uint32_t n = static_cast<std::uint32_t>(cols * rows_in_block);
    for (int ch = 0; ch < channels; ++ch) {
      std::uint32_t& s = c.sums[static_cast<std::size_t>(ox * channels + ch)];
      // libpng gives RGB(A); OpenCV wants BGR(A): swap here, on the small image.
      const int to = channels >= 3 && ch < 3 ? 2 - ch : ch;
      dst[ox * channels + to] = static_cast<unsigned char>((s + n / 2) / n);
      s = 0;
    }
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
  if (png_get_interlace_type(c.png, c.info) != PNG_INTERLACE_NONE) {
    c.interlaced = true;
    return true;
  }
  // To 8-bit grey, RGB or RGBA.
  const int colour = png_get_color_type(c.png, c.info);
  png_set_expand(c.png);
  png_set_strip_16(c.png);
  if (colour == PNG_COLOR_TYPE_GRAY_ALPHA) png_set_gray_to_rgb(c.png);
  png_read_update_info(c.png, c.info);
  const int channels = png_get_channels(c.png, c.info);
  if (channels < 1 || channels > 4 || channels == 2) png_error(c.png, "unsupported PNG pixel layout");

  const int w = static_cast<int>(width);
  const int h = static_cast<int>(height);
  const int out_w = (w + c.factor - 1) / c.factor;
  const int out_h = (h + c.factor - 1) / c.factor;
  c.out.create(out_h, out_w, CV_8UC(channels));
  c.row.resize(png_get_rowbytes(c.png, c.info));
  c.sums.assign(static_cast<std::size_t>(out_w) * static_cast<std::size_t>(channels), 0);
  int rows_in_block = 0;
  int out_y = 0;
  for (int y = 0; y < h; ++y) {
    png_read_row(c.png, c.row.data(), nullptr);
    switch (channels) {
      case 1:
        accumulate<1>(c.row.data(), c.sums.data(), w, c.factor);
        break;
      case 3:
        accumulate<3>(c.row.data(), c.sums.data(), w, c.factor);
        break;
      default:
        accumulate<4>(c.row.data(), c.sums.data(), w, c.factor);
        break;
    }
    if (++rows_in_block == c.factor || y == h - 1) {
      emit_row(c, out_y++, rows_in_block, w, channels);
      rows_in_block = 0;
    }
  }
  png_read_end(c.png, nullptr);
  return true;
}

}  // namespace

cv::Mat decode_png_shrunk(std::string_view data, int factor) {
  Context c;
  c.data = data;
  c.factor = factor < 1 ? 1 : factor;
  if (!read(c)) throw std::runtime_error(c.message[0] != 0 ? c.message : "cannot decode PNG data");
  if (c.interlaced) return {};
  return c.out;
}

}  // namespace thumbs
