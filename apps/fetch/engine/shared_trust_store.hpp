#pragma once
// The CA certificates that verify servers, loaded once per run and shared by every TLS connection
// of both engines: each new connection's SSL_CTX gets this one X509_STORE (CURLOPT_SSL_CTX_FUNCTION)
// and libcurl loads nothing itself. libcurl 7.88 would parse the whole bundle again for every new
// connection whenever a CA folder is set, as Debian's default is (about 20 ms of CPU for the
// system's 140 certificates), and caches it otherwise only per multi handle, which in the threads
// engine means per easy handle.

#include <curl/curl.h>
#include <openssl/types.h>

#include <atomic>
#include <cstddef>
#include <mutex>
#include <string>

namespace fetch {

class SharedTrustStore {
 public:
  // PEM certificates in `file` and a folder hashed by `openssl rehash`; an empty one stands for
  // libcurl's default (CURLINFO_CAINFO, CURLINFO_CAPATH: on Debian /etc/ssl/certs/ca-certificates.crt
  // and /etc/ssl/certs), as when the handle itself is pointed at them. Nothing is read yet.
  SharedTrustStore(std::string file, std::string folder);
  ~SharedTrustStore();
  SharedTrustStore(const SharedTrustStore&) = delete;
  SharedTrustStore& operator=(const SharedTrustStore&) = delete;

  // Points a handle that verifies servers at this store. The certificates are read on its first
  // TLS connection (a run without one never reads them), once.
  void apply(CURL* curl) const;

  // The certificates, read on the first call (from any thread; the others wait for it); null when
  // they cannot be read, and problem() says why.
  X509_STORE* store() const;
  std::string problem() const;

  // How many times any SharedTrustStore has read its certificates in this process.
  static std::size_t loads() { return loads_.load(); }

 private:
  static CURLcode on_ssl_ctx(CURL* curl, void* ssl_ctx, void* self);
  void load() const;

  std::string file_;
  std::string folder_;
  mutable std::once_flag loaded_;
  mutable X509_STORE* store_ = nullptr;
  mutable std::string problem_;
  static std::atomic<std::size_t> loads_;
};

}  // namespace fetch
