#include "profile_encode.hpp"

#include <jpeglib.h>
#include <png.h>
#include <webp/mux.h>

#include <csetjmp>
#include <cstdlib>
#include <memory>
#include <stdexcept>

namespace imaging {

namespace {

// What libjpeg and libpng touch lives here, constructed before setjmp() (see jpeg_decode.cpp).
struct JpegContext {
  jpeg_compress_struct cinfo{};
  jpeg_error_mgr errors{};
  std::jmp_buf jump{};
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  bool created = false;
  ~JpegContext() {
    if (created) jpeg_destroy_compress(&cinfo);
    std::free(buffer);
  }
};

void on_jpeg_error(j_common_ptr cinfo) { std::longjmp(static_cast<JpegContext*>(cinfo->client_data)->jump, 1); }

bool write_jpeg(JpegContext& c, const cv::Mat& pixels, int quality, const std::string& icc) {
  if (setjmp(c.jump) != 0) return false;
  c.cinfo.err = jpeg_std_error(&c.errors);
  c.errors.error_exit = on_jpeg_error;
  c.cinfo.client_data = &c;
  jpeg_create_compress(&c.cinfo);
  c.created = true;
  jpeg_mem_dest(&c.cinfo, &c.buffer, &c.size);
  c.cinfo.image_width = static_cast<JDIMENSION>(pixels.cols);
  c.cinfo.image_height = static_cast<JDIMENSION>(pixels.rows);
  c.cinfo.input_components = pixels.channels();
  c.cinfo.in_color_space = pixels.channels() == 1 ? JCS_GRAYSCALE : JCS_EXT_BGR;
  jpeg_set_defaults(&c.cinfo);
  jpeg_set_quality(&c.cinfo, quality, TRUE);
  jpeg_start_compress(&c.cinfo, TRUE);
  jpeg_write_icc_profile(&c.cinfo, reinterpret_cast<const JOCTET*>(icc.data()), static_cast<unsigned int>(icc.size()));
  while (c.cinfo.next_scanline < c.cinfo.image_height) {
    JSAMPROW row = const_cast<unsigned char*>(pixels.ptr<unsigned char>(static_cast<int>(c.cinfo.next_scanline)));
    jpeg_write_scanlines(&c.cinfo, &row, 1);
  }
  jpeg_finish_compress(&c.cinfo);
  return true;
}

struct PngContext {
  std::jmp_buf jump{};
  png_structp png = nullptr;
  png_infop info = nullptr;
  std::vector<unsigned char> out;
  std::vector<png_text> text;
  ~PngContext() {
    if (png != nullptr) png_destroy_write_struct(&png, info != nullptr ? &info : nullptr);
  }
};

void on_png_error(png_structp png, png_const_charp) {
  std::longjmp(static_cast<PngContext*>(png_get_error_ptr(png))->jump, 1);
}
void on_png_warning(png_structp, png_const_charp) {}
void on_png_write(png_structp png, png_bytep data, png_size_t length) {
  auto* c = static_cast<PngContext*>(png_get_io_ptr(png));
  c->out.insert(c->out.end(), data, data + length);
}
void on_png_flush(png_structp) {}

bool write_png(PngContext& c, const cv::Mat& pixels, const std::string& icc,
               const std::vector<std::pair<std::string, std::string>>& text) {
  if (setjmp(c.jump) != 0) return false;
  c.png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &c, on_png_error, on_png_warning);
  if (c.png == nullptr) return false;
  c.info = png_create_info_struct(c.png);
  if (c.info == nullptr) return false;
  png_set_write_fn(c.png, &c, on_png_write, on_png_flush);
  png_set_compression_level(c.png, 6);
  const int type = pixels.channels() == 1   ? PNG_COLOR_TYPE_GRAY
                   : pixels.channels() == 4 ? PNG_COLOR_TYPE_RGB_ALPHA
                                            : PNG_COLOR_TYPE_RGB;
  png_set_IHDR(c.png, c.info, static_cast<png_uint_32>(pixels.cols), static_cast<png_uint_32>(pixels.rows), 8, type,
               PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  if (!icc.empty()) {
    png_set_iCCP(c.png, c.info, "icc", PNG_COMPRESSION_TYPE_BASE, reinterpret_cast<png_const_bytep>(icc.data()),
                 static_cast<png_uint_32>(icc.size()));
  }
  for (std::size_t i = 0; i < text.size(); ++i) {
    c.text[i].compression = PNG_TEXT_COMPRESSION_NONE;
    c.text[i].key = const_cast<char*>(text[i].first.c_str());
    c.text[i].text = const_cast<char*>(text[i].second.c_str());
    c.text[i].text_length = text[i].second.size();
  }
  if (!c.text.empty()) png_set_text(c.png, c.info, c.text.data(), static_cast<int>(c.text.size()));
  png_write_info(c.png, c.info);
  if (pixels.channels() >= 3) png_set_bgr(c.png);
  for (int y = 0; y < pixels.rows; ++y) png_write_row(c.png, pixels.ptr<unsigned char>(y));
  png_write_end(c.png, nullptr);
  return true;
}

struct MuxDeleter {
  void operator()(WebPMux* m) const { WebPMuxDelete(m); }
};

}  // namespace

std::vector<unsigned char> encode_jpeg_with_profile(const cv::Mat& pixels, int quality, const std::string& icc) {
  JpegContext c;
  if (!write_jpeg(c, pixels, quality, icc)) throw std::runtime_error("cannot encode JPEG");
  return std::vector<unsigned char>(c.buffer, c.buffer + c.size);
}

std::vector<unsigned char> encode_png_with_profile(const cv::Mat& pixels, const std::string& icc,
                                                   const std::vector<std::pair<std::string, std::string>>& text) {
  PngContext c;
  c.text.resize(text.size());
  if (!write_png(c, pixels, icc, text)) throw std::runtime_error("cannot encode PNG");
  return std::move(c.out);
}

std::vector<unsigned char> add_webp_profile(const std::vector<unsigned char>& webp, const std::string& icc) {
  const WebPData image{webp.data(), webp.size()};
  const std::unique_ptr<WebPMux, MuxDeleter> mux(WebPMuxCreate(&image, 1));
  const WebPData profile{reinterpret_cast<const uint8_t*>(icc.data()), icc.size()};
  WebPData assembled;
  WebPDataInit(&assembled);
  if (!mux || WebPMuxSetChunk(mux.get(), "ICCP", &profile, 1) != WEBP_MUX_OK ||
      WebPMuxAssemble(mux.get(), &assembled) != WEBP_MUX_OK) {
    throw std::runtime_error("cannot encode WebP");
  }
  std::vector<unsigned char> out(assembled.bytes, assembled.bytes + assembled.size);
  WebPDataClear(&assembled);
  return out;
}

}  // namespace imaging
