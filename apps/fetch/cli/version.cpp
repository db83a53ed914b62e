#include "cli/version.hpp"

#include <archive.h>
#include <curl/curl.h>
#include <oneapi/tbb/version.h>
#include <openssl/crypto.h>

#include <utility>
#include <vector>

#include "cli.hpp"
#include "cli/thumbnail_worker.hpp"

namespace fetch {

namespace {

std::string curl_features(const curl_version_info_data& curl) {
  const std::pair<int, const char*> features[] = {
      {CURL_VERSION_SSL, "TLS"},        {CURL_VERSION_HTTP2, "HTTP/2"},
      {CURL_VERSION_HTTP3, "HTTP/3"},   {CURL_VERSION_HTTPS_PROXY, "HTTPS-proxy"},
      {CURL_VERSION_IDN, "IDN"},        {CURL_VERSION_IPV6, "IPv6"},
      {CURL_VERSION_LIBZ, "gzip"},      {CURL_VERSION_BROTLI, "brotli"},
      {CURL_VERSION_ZSTD, "zstd"},      {CURL_VERSION_ASYNCHDNS, "AsynchDNS"},
      {CURL_VERSION_GSSAPI, "GSS-API"}, {CURL_VERSION_PSL, "PSL"},
  };
  std::string text;
  for (const auto& [bit, name] : features) {
    if ((curl.features & bit) == 0) continue;
    if (!text.empty()) text += ' ';
    text += name;
  }
  return text;
}

}  // namespace

std::string version_text() {
  const curl_version_info_data& curl = *curl_version_info(CURLVERSION_NOW);
  std::vector<std::pair<std::string, std::string>> libraries = {{"libcurl", curl.version}};
  if (curl.ssl_version != nullptr) libraries.emplace_back("TLS by", curl.ssl_version);
  if (curl.nghttp2_version != nullptr) libraries.emplace_back("nghttp2", curl.nghttp2_version);
  if (curl.libidn != nullptr) libraries.emplace_back("libidn2", curl.libidn);
  if (curl.libz_version != nullptr) libraries.emplace_back("zlib", curl.libz_version);
  if (curl.brotli_version != nullptr) libraries.emplace_back("brotli", curl.brotli_version);
  if (curl.zstd_version != nullptr) libraries.emplace_back("zstd", curl.zstd_version);
  libraries.emplace_back("OpenSSL (SHA-256)", OpenSSL_version(OPENSSL_VERSION_STRING));
  libraries.emplace_back("libarchive", archive_version_string() + std::string_view("libarchive ").size());
  libraries.emplace_back("oneTBB", TBB_runtime_version());
  std::string text = "conc-fetch " CONC_VERSION "\n" + common::cli::listing(libraries) + "\n";
  text += "Features: " + curl_features(curl) + "\n";
#ifdef CONC_FETCH_THUMBNAILS
  // The image libraries are in the worker program, which says which it runs with.
  const std::optional<std::string> worker = find_thumbnail_worker();
  const std::string images = worker ? thumbnail_worker_versions(*worker) : std::string();
  if (!images.empty()) {
    // Its first line names the formats; the libraries follow, indented as the lines above.
    std::string indented;
    for (std::size_t at = 0; at < images.size();) {
      const std::size_t end = std::min(images.find('\n', at), images.size());
      const std::string line = images.substr(at, end - at);
      indented += (at == 0 || line.starts_with(' ') ? "" : " ") + line + "\n";
      at = end + 1;
    }
    text += "Thumbnails (--thumbnail, " + std::string(kThumbnailWorker) + "): " + indented;
  } else {
    text += "Thumbnails (--thumbnail): " + std::string(kThumbnailWorker) + " not found or not working\n";
  }
#else
  text += "Thumbnails (--thumbnail): not built in (CONC_BUILD_THUMBS=OFF)\n";
#endif
  text.pop_back();
  return text;
}

}  // namespace fetch
