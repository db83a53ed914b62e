// The thumbnail workers' task: conc-thumbs' own pipeline (apps/imaging) on a downloaded body
// mapped from its SharedBuffer. Built into conc-fetch only with the imaging library.

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <conc/fd.hpp>
#include <cstdio>
#include <opencv2/core.hpp>
#include <opencv2/core/utils/logger.hpp>
#include <optional>

#include "atomic_file.hpp"
#include "cli_values.hpp"
#include "engine/sha256.hpp"
#include "image_header.hpp"
#include "thumbnail.hpp"
#include "thumbnail/sample_json.hpp"
#include "thumbnail/thumbnail_protocol.hpp"

namespace fetch {

namespace {

// One OpenCV thread per worker process, and no decoder chatter: the parent prints the one line a
// failure deserves.
void quiet_worker() {
  cv::setNumThreads(1);
  cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT);
  const conc::Fd null(::open("/dev/null", O_WRONLY | O_CLOEXEC));
  if (null) ::dup2(null.get(), STDERR_FILENO);
}

// The filters, from the image's header (before anything is decoded): the reason one refuses it, and
// why; nothing when none does (or the header gives no size: the decoder then has the last word).
std::optional<std::pair<std::string, std::string>> refused(std::string_view body, const ThumbnailSpec& spec) {
  const imaging::ImageHeader h = imaging::read_header(body);
  if (h.width == 0 || h.height == 0) return std::nullopt;
  const std::string size = std::to_string(h.width) + "x" + std::to_string(h.height);
  const auto shorter = std::min(h.width, h.height);
  const auto longer = std::max(h.width, h.height);
  if (std::uint64_t{h.width} * h.height > spec.max_pixels) {
    return std::pair{"too_many_pixels", "too many pixels (" + size + " is more than the limit of " +
                                            std::to_string(spec.max_pixels) + ", --max-pixels)"};
  }
  if (spec.min_side > 0 && shorter < static_cast<std::uint64_t>(spec.min_side)) {
    return std::pair{"too_small", "too small (" + size + ": a side under " + std::to_string(spec.min_side) +
                                      " pixels, --min-image-size)"};
  }
  if (spec.max_aspect_ratio > 0 && static_cast<double>(longer) > spec.max_aspect_ratio * static_cast<double>(shorter)) {
    char ratio[32];
    std::snprintf(ratio, sizeof ratio, "%.3g", static_cast<double>(longer) / static_cast<double>(shorter));
    return std::pair{"aspect_ratio", "aspect ratio too large (" + size + ": " + ratio + " to 1, --max-aspect-ratio)"};
  }
  return std::nullopt;
}

ThumbnailReply fetch_thumbnail(const ThumbnailRequest& request) {
  static const bool quiet = (quiet_worker(), true);
  (void)quiet;
  ThumbnailReply reply;
  const std::string_view body = request.body.view();
  reply.sha256 = sha256_of_bytes(body);
  try {
    const common::Temporaries temporaries = request.temporaries_token.empty()
                                                ? common::Temporaries::process()
                                                : common::Temporaries(request.temporaries_token);
    if (!request.original.empty()) common::write_atomically(request.original, body, temporaries);
    if (auto refusal = refused(body, request.spec)) {
      reply.filtered = std::move(refusal->first);
      reply.error = std::move(refusal->second);
      return reply;
    }
    imaging::BufferThumbJob job;  // its bytes come back, to be written through the root's temporaries
    job.box = {request.spec.width, request.spec.height};
    job.fit = imaging::parse_fit(request.spec.fit);
    job.format = imaging::parse_output_format(request.spec.format);
    job.quality = request.spec.quality;
    job.max_pixels = request.spec.max_pixels;
    job.enlarge = request.spec.enlarge;
    job.border_rgb = common::parse_rgb(request.spec.border_colour);
    job.skip_reencode = request.spec.skip_reencode;
    imaging::BufferThumbResult made = imaging::make_thumbnail(body, job);
    reply.ok = made.ok;
    reply.error = std::move(made.error);
    reply.width = made.width;
    reply.height = made.height;
    reply.source_width = made.source_width;
    reply.source_height = made.source_height;
    reply.extension = std::move(made.extension);
    reply.encoded = std::move(made.encoded);
    if (made.ok && !request.output_stem.empty()) {
      // The thumbnail last, so that a sample whose thumbnail is there has its facts beside it.
      if (request.beside) {
        const SampleFacts facts{request.key,  request.url,        request.caption,     request.columns, reply.width,
                                reply.height, reply.source_width, reply.source_height, body.size(),     reply.sha256};
        common::write_atomically(request.output_stem + ".json", sample_json(facts) + "\n", temporaries);
        if (request.caption) common::write_atomically(request.output_stem + ".txt", *request.caption, temporaries);
      }
      common::write_atomically(request.output_stem + reply.extension, reply.encoded, temporaries);
      reply.encoded.clear();
    }
  } catch (const std::exception& e) {
    reply.ok = false;
    reply.error = e.what();
  }
  return reply;
}
CONC_TASK(fetch_thumbnail);

}  // namespace

}  // namespace fetch
