#include "gif_decode.hpp"

#include <gif_lib.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace imaging {

namespace {

struct Source {
  std::string_view data;
  std::size_t pos = 0;
};

int read_proc(GifFileType* gif, GifByteType* out, int length) {
  auto* s = static_cast<Source*>(gif->UserData);
  const std::size_t n = std::min<std::size_t>(static_cast<std::size_t>(length), s->data.size() - s->pos);
  std::memcpy(out, s->data.data() + s->pos, n);
  s->pos += n;
  return static_cast<int>(n);
}

struct GifCloser {
  void operator()(GifFileType* gif) const {
    int error = 0;
    DGifCloseFile(gif, &error);
  }
};

void check_size(int width, int height, std::uint64_t max_pixels) {
  if (static_cast<std::uint64_t>(width) * static_cast<std::uint64_t>(height) > max_pixels) {
    throw std::runtime_error("too many pixels (" + std::to_string(width) + "x" + std::to_string(height) +
                             " is more than the limit of " + std::to_string(max_pixels) + ")");
  }
}

[[noreturn]] void fail(int error) {
  if (error == D_GIF_ERR_READ_FAILED) throw std::runtime_error("truncated GIF data");
  const char* message = GifErrorString(error);
  throw std::runtime_error(message != nullptr ? std::string("cannot decode GIF data: ") + message
                                              : std::string("cannot decode GIF data"));
}

}  // namespace

Decoded decode_gif(std::string_view data, std::uint64_t max_pixels) {
  Source source{data, 0};
  int error = 0;
  const std::unique_ptr<GifFileType, GifCloser> gif(DGifOpen(&source, read_proc, &error));
  if (!gif) fail(error);
  if (gif->SWidth <= 0 || gif->SHeight <= 0) throw std::runtime_error("GIF without a logical screen size");
  check_size(gif->SWidth, gif->SHeight, max_pixels);
  int transparent = -1;
  for (;;) {
    GifRecordType record = UNDEFINED_RECORD_TYPE;
    if (DGifGetRecordType(gif.get(), &record) == GIF_ERROR) fail(gif->Error);
    if (record == TERMINATE_RECORD_TYPE) throw std::runtime_error("GIF without an image");
    if (record == EXTENSION_RECORD_TYPE) {
      int code = 0;
      GifByteType* block = nullptr;
      if (DGifGetExtension(gif.get(), &code, &block) == GIF_ERROR) fail(gif->Error);
      if (code == GRAPHICS_EXT_FUNC_CODE && block != nullptr) {
        GraphicsControlBlock control;
        if (DGifExtensionToGCB(block[0], block + 1, &control) == GIF_OK) transparent = control.TransparentColor;
      }
      while (block != nullptr) {
        if (DGifGetExtensionNext(gif.get(), &block) == GIF_ERROR) fail(gif->Error);
      }
      continue;
    }
    if (record != IMAGE_DESC_RECORD_TYPE) continue;
    if (DGifGetImageDesc(gif.get()) == GIF_ERROR) fail(gif->Error);
    const GifImageDesc& frame = gif->Image;
    const ColorMapObject* map = frame.ColorMap != nullptr ? frame.ColorMap : gif->SColorMap;
    if (frame.Width <= 0 || frame.Height <= 0) throw std::runtime_error("GIF frame without pixels");
    // A first frame larger than the logical screen, or beyond it, grows the canvas from its
    // top-left corner, as browsers, Pillow and vips show it.
    const int canvas_w = std::max(gif->SWidth, frame.Left + frame.Width);
    const int canvas_h = std::max(gif->SHeight, frame.Top + frame.Height);
    check_size(canvas_w, canvas_h, max_pixels);
    std::vector<GifPixelType> indices(static_cast<std::size_t>(frame.Width) * static_cast<std::size_t>(frame.Height));
    auto row_at = [&](int y) {
      return indices.data() + static_cast<std::size_t>(y) * static_cast<std::size_t>(frame.Width);
    };
    if (frame.Interlace) {
      for (const auto& [start, step] : {std::pair{0, 8}, std::pair{4, 8}, std::pair{2, 4}, std::pair{1, 2}}) {
        for (int y = start; y < frame.Height; y += step) {
          if (DGifGetLine(gif.get(), row_at(y), frame.Width) == GIF_ERROR) fail(gif->Error);
        }
      }
    } else {
      for (int y = 0; y < frame.Height; ++y) {
        if (DGifGetLine(gif.get(), row_at(y), frame.Width) == GIF_ERROR) fail(gif->Error);
      }
    }
    // The first frame on a transparent canvas, as browsers show it.
    Decoded out;
    out.pixels = cv::Mat(canvas_h, canvas_w, CV_8UC4, cv::Scalar(0, 0, 0, 0));
    for (int y = 0; y < frame.Height; ++y) {
      const GifPixelType* src = row_at(y);
      auto* dst = out.pixels.ptr<cv::Vec4b>(frame.Top + y);
      for (int x = 0; x < frame.Width; ++x) {
        const int sx = frame.Left + x;
        if (src[x] == transparent) continue;
        if (map == nullptr) {  // no colour table at all: indices are grey levels, as Pillow reads them
          dst[sx] = cv::Vec4b(src[x], src[x], src[x], 255);
          continue;
        }
        if (src[x] >= map->ColorCount) continue;
        const GifColorType& c = map->Colors[src[x]];
        dst[sx] = cv::Vec4b(c.Blue, c.Green, c.Red, 255);
      }
    }
    return out;
  }
}

}  // namespace imaging
