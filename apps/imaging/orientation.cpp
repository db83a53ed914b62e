#include "orientation.hpp"

#include <opencv2/core.hpp>

namespace imaging {

cv::Mat apply_orientation(const cv::Mat& stored, int orientation) {
  cv::Mat out;
  switch (orientation) {
    case 2:
      cv::flip(stored, out, 1);
      break;  // mirrored left-right
    case 3:
      cv::rotate(stored, out, cv::ROTATE_180);
      break;  // upside down
    case 4:
      cv::flip(stored, out, 0);
      break;  // mirrored top-bottom
    case 5:
      cv::transpose(stored, out);
      break;  // mirrored, rotated 90 CCW
    case 6:
      cv::rotate(stored, out, cv::ROTATE_90_CLOCKWISE);
      break;
    case 7:  // mirrored, rotated 90 CW
      cv::transpose(stored, out);
      cv::flip(out, out, -1);
      break;
    case 8:
      cv::rotate(stored, out, cv::ROTATE_90_COUNTERCLOCKWISE);
      break;
    default:
      out = stored;
      break;
  }
  return out;
}

}  // namespace imaging
