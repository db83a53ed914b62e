#include "colour.hpp"

#include <lcms2.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <list>
#include <memory>
#include <sstream>
#include <utility>

namespace imaging {

namespace {

struct ProfileCloser {
  void operator()(void* p) const { cmsCloseProfile(p); }
};
using Profile = std::unique_ptr<void, ProfileCloser>;
struct TransformDeleter {
  void operator()(void* t) const { cmsDeleteTransform(t); }
};
using Transform = std::unique_ptr<void, TransformDeleter>;

Profile open_profile(const std::string& icc) {
  return Profile(cmsOpenProfileFromMem(icc.data(), static_cast<cmsUInt32Number>(icc.size())));
}

const std::string& read_default_cmyk() {
  static const std::string bytes = [] {
    std::ifstream in(default_cmyk_profile_path(), std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
  }();
  return bytes;
}

bool close_xyz(const cmsCIEXYZ* a, const cmsCIEXYZ* b) {
  return a != nullptr && b != nullptr && std::abs(a->X - b->X) < 0.003 && std::abs(a->Y - b->Y) < 0.003 &&
         std::abs(a->Z - b->Z) < 0.003;
}

bool close_curve(const cmsToneCurve* a, const cmsToneCurve* b) {
  if (a == nullptr || b == nullptr) return false;
  for (const float x : {0.02f, 0.1f, 0.3f, 0.5f, 0.7f, 0.9f}) {
    if (std::abs(cmsEvalToneCurveFloat(a, x) - cmsEvalToneCurveFloat(b, x)) > 0.004f) return false;
  }
  return true;
}

bool describes_srgb(cmsHPROFILE p) {
  static const Profile srgb(cmsCreate_sRGBProfile());
  if (cmsGetColorSpace(p) != cmsSigRgbData) return false;
  for (const cmsTagSignature tag : {cmsSigRedColorantTag, cmsSigGreenColorantTag, cmsSigBlueColorantTag}) {
    if (!close_xyz(static_cast<const cmsCIEXYZ*>(cmsReadTag(p, tag)),
                   static_cast<const cmsCIEXYZ*>(cmsReadTag(srgb.get(), tag)))) {
      return false;
    }
  }
  for (const cmsTagSignature tag : {cmsSigRedTRCTag, cmsSigGreenTRCTag, cmsSigBlueTRCTag}) {
    if (!close_curve(static_cast<const cmsToneCurve*>(cmsReadTag(p, tag)),
                     static_cast<const cmsToneCurve*>(cmsReadTag(srgb.get(), tag)))) {
      return false;
    }
  }
  return true;
}

// Transforms are built once per profile and pixel layout: a folder of phone photos shares one.
class TransformCache {
 public:
  cmsHTRANSFORM get(const std::string& icc, cmsUInt32Number in_format, cmsUInt32Number out_format, int intent) {
    const std::size_t key = std::hash<std::string>{}(icc) ^ (std::size_t{in_format} << 1) ^ out_format;
    for (auto it = entries_.begin(); it != entries_.end(); ++it) {
      if (it->key == key && it->icc == icc && it->in_format == in_format && it->out_format == out_format) {
        entries_.splice(entries_.begin(), entries_, it);
        return entries_.front().transform.get();
      }
    }
    const Profile source = open_profile(icc);
    if (!source) return nullptr;
    const Profile srgb(cmsCreate_sRGBProfile());
    const cmsUInt32Number flags = T_EXTRA(in_format) != 0 ? cmsFLAGS_COPY_ALPHA : 0;
    Transform t(cmsCreateTransform(source.get(), in_format, srgb.get(), out_format, intent, flags));
    if (!t) return nullptr;
    entries_.push_front({key, icc, in_format, out_format, std::move(t)});
    if (entries_.size() > 8) entries_.pop_back();
    return entries_.front().transform.get();
  }

 private:
  struct Entry {
    std::size_t key;
    std::string icc;
    cmsUInt32Number in_format;
    cmsUInt32Number out_format;
    Transform transform;
  };
  std::list<Entry> entries_;
};

cv::Mat apply(const cv::Mat& pixels, cmsHTRANSFORM t, int out_type) {
  cv::Mat in = pixels.isContinuous() ? pixels : pixels.clone();
  cv::Mat out(in.size(), out_type);
  cmsDoTransform(t, in.data, out.data, static_cast<cmsUInt32Number>(in.total()));
  return out;
}

// Without any CMYK profile: the naive conversion (what most decoders do).
cv::Mat naive_cmyk_to_bgr(const cv::Mat& cmyk, bool inverted) {
  cv::Mat out(cmyk.size(), CV_8UC3);
  for (int y = 0; y < cmyk.rows; ++y) {
    const auto* s = cmyk.ptr<cv::Vec4b>(y);
    auto* d = out.ptr<cv::Vec3b>(y);
    for (int x = 0; x < cmyk.cols; ++x) {
      int c = s[x][0], m = s[x][1], yel = s[x][2], k = s[x][3];
      if (!inverted) {
        c = 255 - c;
        m = 255 - m;
        yel = 255 - yel;
        k = 255 - k;
      }
      d[x] = cv::Vec3b(static_cast<uchar>(yel * k / 255), static_cast<uchar>(m * k / 255),
                       static_cast<uchar>(c * k / 255));
    }
  }
  return out;
}

}  // namespace

const std::string& default_cmyk_profile_path() {
  static const std::string path = [] {
    // Ghostscript's default CMYK (a SWOP-like press), as Debian's libgs-common installs it.
    for (const char* candidate :
         {"/usr/share/color/icc/ghostscript/default_cmyk.icc", "/usr/share/ghostscript/iccprofiles/default_cmyk.icc"}) {
      std::error_code ec;
      if (std::filesystem::is_regular_file(candidate, ec)) return std::string(candidate);
    }
    return std::string();
  }();
  return path;
}

bool is_srgb_profile(const std::string& icc) {
  const Profile p = open_profile(icc);
  return p && describes_srgb(p.get());
}

cv::Mat to_srgb(cv::Mat pixels, const ColourSource& source) {
  static thread_local TransformCache cache;
  if (source.cmyk) {
    std::string icc = source.icc;
    if (!icc.empty()) {
      const Profile p = open_profile(icc);
      if (!p || cmsGetColorSpace(p.get()) != cmsSigCmykData) icc.clear();
    }
    if (icc.empty()) icc = read_default_cmyk();
    const cmsUInt32Number in_format = source.inverted_cmyk ? TYPE_CMYK_8_REV : TYPE_CMYK_8;
    cmsHTRANSFORM t = icc.empty() ? nullptr : cache.get(icc, in_format, TYPE_BGR_8, INTENT_PERCEPTUAL);
    return t != nullptr ? apply(pixels, t, CV_8UC3) : naive_cmyk_to_bgr(pixels, source.inverted_cmyk);
  }
  if (source.icc.empty()) return pixels;
  const Profile p = open_profile(source.icc);
  if (!p) return pixels;
  const cmsColorSpaceSignature space = cmsGetColorSpace(p.get());
  cmsUInt32Number in_format = 0;
  cmsUInt32Number out_format = 0;
  int out_type = pixels.type();
  if (space == cmsSigRgbData && pixels.channels() >= 3) {
    if (describes_srgb(p.get())) return pixels;
    in_format = out_format = pixels.channels() == 4 ? TYPE_BGRA_8 : TYPE_BGR_8;
  } else if (space == cmsSigGrayData && pixels.channels() == 1) {
    in_format = TYPE_GRAY_8;
    out_format = TYPE_BGR_8;
    out_type = CV_8UC3;
  } else {
    return pixels;
  }
  cmsHTRANSFORM t = cache.get(source.icc, in_format, out_format, INTENT_RELATIVE_COLORIMETRIC);
  return t != nullptr ? apply(pixels, t, out_type) : pixels;
}

}  // namespace imaging
