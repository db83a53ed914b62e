#pragma once
// Small generated images for the conc-thumbs tests.

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace test_images {

// A gradient with a distinct colour in each quadrant, so orientation and crops are visible.
inline cv::Mat quadrants(int width, int height, int type = CV_8UC3) {
  cv::Mat m(height, width, CV_8UC3);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      const bool right = x >= width / 2;
      const bool bottom = y >= height / 2;
      cv::Vec3b c = !right && !bottom  ? cv::Vec3b(0, 0, 255)       // top-left red
                    : right && !bottom ? cv::Vec3b(0, 255, 0)       // top-right green
                    : !right && bottom ? cv::Vec3b(255, 0, 0)       // bottom-left blue
                                       : cv::Vec3b(255, 255, 255);  // bottom-right white
      m.at<cv::Vec3b>(y, x) = c;
    }
  }
  if (type == CV_8UC1) cv::cvtColor(m, m, cv::COLOR_BGR2GRAY);
  return m;
}

inline std::string encode(const cv::Mat& m, const std::string& ext, std::vector<int> params = {}) {
  std::vector<unsigned char> bytes;
  cv::imencode(ext, m, bytes, params);
  return std::string(bytes.begin(), bytes.end());
}

inline void write(const std::filesystem::path& path, const std::string& bytes) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << bytes;
}

// A JPEG with an EXIF APP1 segment carrying `orientation`, inserted after SOI.
inline std::string with_exif_orientation(const std::string& jpeg, int orientation, bool big_endian = true) {
  std::string tiff;
  auto u16 = [&](unsigned v) {
    if (big_endian) {
      tiff += static_cast<char>(v >> 8);
      tiff += static_cast<char>(v & 0xFF);
    } else {
      tiff += static_cast<char>(v & 0xFF);
      tiff += static_cast<char>(v >> 8);
    }
  };
  auto u32 = [&](unsigned v) {
    if (big_endian) {
      u16(v >> 16);
      u16(v & 0xFFFF);
    } else {
      u16(v & 0xFFFF);
      u16(v >> 16);
    }
  };
  tiff += big_endian ? "MM" : "II";
  u16(42);
  u32(8);       // IFD0 offset
  u16(1);       // one entry
  u16(0x0112);  // orientation
  u16(3);       // SHORT
  u32(1);       // count
  u16(static_cast<unsigned>(orientation));
  u16(0);
  u32(0);  // no next IFD
  const std::string payload = std::string("Exif\0\0", 6) + tiff;
  const std::size_t length = payload.size() + 2;
  std::string app1 = "\xFF\xE1";
  app1 += static_cast<char>(length >> 8);
  app1 += static_cast<char>(length & 0xFF);
  app1 += payload;
  return jpeg.substr(0, 2) + app1 + jpeg.substr(2);
}

}  // namespace test_images
