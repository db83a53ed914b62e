#include "webp_decode.hpp"

#include <webp/decode.h>
#include <webp/demux.h>

#include <memory>
#include <stdexcept>
#include <string>

namespace imaging {

namespace {

struct DemuxDeleter {
  void operator()(WebPDemuxer* d) const { WebPDemuxDelete(d); }
};
struct AnimDecoderDeleter {
  void operator()(WebPAnimDecoder* d) const { WebPAnimDecoderDelete(d); }
};

std::string chunk(const WebPDemuxer* demux, const char* fourcc) {
  WebPChunkIterator it;
  std::string bytes;
  if (WebPDemuxGetChunk(demux, fourcc, 1, &it)) {
    bytes.assign(reinterpret_cast<const char*>(it.chunk.bytes), it.chunk.size);
    WebPDemuxReleaseChunkIterator(&it);
  }
  return bytes;
}

// The first frame composed on the canvas, as libwebpdemux's animation decoder does it.
cv::Mat first_frame(const WebPData& webp) {
  WebPAnimDecoderOptions options;
  if (!WebPAnimDecoderOptionsInit(&options)) throw std::runtime_error("cannot decode WebP animation");
  options.color_mode = MODE_BGRA;
  options.use_threads = 0;
  const std::unique_ptr<WebPAnimDecoder, AnimDecoderDeleter> decoder(WebPAnimDecoderNew(&webp, &options));
  WebPAnimInfo info;
  if (!decoder || !WebPAnimDecoderGetInfo(decoder.get(), &info))
    throw std::runtime_error("cannot decode WebP animation");
  std::uint8_t* canvas = nullptr;
  int timestamp = 0;
  if (!WebPAnimDecoderGetNext(decoder.get(), &canvas, &timestamp)) {
    throw std::runtime_error("cannot decode the first WebP frame");
  }
  return cv::Mat(static_cast<int>(info.canvas_height), static_cast<int>(info.canvas_width), CV_8UC4, canvas).clone();
}

cv::Mat still(std::string_view data, int factor) {
  WebPDecoderConfig config;
  if (!WebPInitDecoderConfig(&config)) throw std::runtime_error("cannot decode WebP data");
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(data.data());
  if (WebPGetFeatures(bytes, data.size(), &config.input) != VP8_STATUS_OK) {
    throw std::runtime_error("cannot decode WebP data");
  }
  const int width = config.input.width;
  const int height = config.input.height;
  const bool alpha = config.input.has_alpha != 0;
  cv::Mat out;
  if (factor > 1) {
    config.options.use_scaling = 1;
    config.options.scaled_width = std::max(1, (width + factor - 1) / factor);
    config.options.scaled_height = std::max(1, (height + factor - 1) / factor);
    out.create(config.options.scaled_height, config.options.scaled_width, alpha ? CV_8UC4 : CV_8UC3);
  } else {
    out.create(height, width, alpha ? CV_8UC4 : CV_8UC3);
  }
  config.output.colorspace = alpha ? MODE_BGRA : MODE_BGR;
  config.output.is_external_memory = 1;
  config.output.u.RGBA.rgba = out.data;
  config.output.u.RGBA.stride = static_cast<int>(out.step[0]);
  config.output.u.RGBA.size = out.step[0] * static_cast<std::size_t>(out.rows);
  const VP8StatusCode status = WebPDecode(bytes, data.size(), &config);
  WebPFreeDecBuffer(&config.output);
  if (status != VP8_STATUS_OK) throw std::runtime_error("cannot decode WebP data");
  return out;
}

}  // namespace

Decoded decode_webp(std::string_view data, int factor) {
  const WebPData webp{reinterpret_cast<const std::uint8_t*>(data.data()), data.size()};
  const std::unique_ptr<WebPDemuxer, DemuxDeleter> demux(WebPDemux(&webp));
  if (!demux) throw std::runtime_error("cannot decode WebP data");
  const std::uint32_t flags = WebPDemuxGetI(demux.get(), WEBP_FF_FORMAT_FLAGS);
  Decoded out;
  if (flags & ICCP_FLAG) out.colour.icc = chunk(demux.get(), "ICCP");
  out.pixels = (flags & ANIMATION_FLAG) ? first_frame(webp) : still(data, factor);
  return out;
}

}  // namespace imaging
