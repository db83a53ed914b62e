// The thumbnail workers' task: conc-thumbs' own pipeline (apps/imaging) on a downloaded body
// mapped from its SharedBuffer. Built into conc-fetch only with the imaging library.

#include <fcntl.h>
#include <unistd.h>

#include <conc/fd.hpp>
#include <opencv2/core.hpp>
#include <opencv2/core/utils/logger.hpp>

#include "atomic_file.hpp"
#include "engine/sha256.hpp"
#include "thumbnail.hpp"
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
    imaging::BufferThumbJob job;  // its bytes come back, to be written through the root's temporaries
    job.box = {request.spec.width, request.spec.height};
    job.fit = imaging::parse_fit(request.spec.fit);
    job.format = imaging::parse_output_format(request.spec.format);
    job.quality = request.spec.quality;
    job.max_pixels = request.spec.max_pixels;
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
