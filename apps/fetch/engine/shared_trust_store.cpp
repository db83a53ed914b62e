#include "engine/shared_trust_store.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <utility>

namespace fetch {

std::atomic<std::size_t> SharedTrustStore::loads_{0};

namespace {

// libcurl's built-in CA file or folder (empty when it has none).
std::string libcurl_default(CURLINFO what) {
  std::string value;
  if (CURL* curl = curl_easy_init()) {
    char* path = nullptr;
    if (curl_easy_getinfo(curl, what, &path) == CURLE_OK && path != nullptr) value = path;
    curl_easy_cleanup(curl);
  }
  return value;
}

// OpenSSL's reason for the last failure, or `fallback`.
std::string openssl_reason(const char* fallback) {
  const unsigned long error = ERR_get_error();
  ERR_clear_error();
  if (error == 0) return fallback;
  char text[256];
  ERR_error_string_n(error, text, sizeof text);
  return text;
}

}  // namespace

SharedTrustStore::SharedTrustStore(std::string file, std::string folder)
    : file_(std::move(file)), folder_(std::move(folder)) {}

SharedTrustStore::~SharedTrustStore() { X509_STORE_free(store_); }

void SharedTrustStore::load() const {
  ++loads_;
  const std::string file = file_.empty() ? libcurl_default(CURLINFO_CAINFO) : file_;
  const std::string folder = folder_.empty() ? libcurl_default(CURLINFO_CAPATH) : folder_;
  X509_STORE* store = X509_STORE_new();
  if (store == nullptr) {
    problem_ = "cannot make a certificate store";
    return;
  }
  ERR_clear_error();
  if (!file.empty() && X509_STORE_load_file(store, file.c_str()) != 1) {
    problem_ = "cannot read the CA certificates in " + file + ": " + openssl_reason("no certificate in it");
  } else if (!folder.empty() && X509_STORE_load_path(store, folder.c_str()) != 1) {
    problem_ = "cannot read the CA certificates in " + folder + ": " + openssl_reason("not a folder");
  }
  if (!problem_.empty()) {
    X509_STORE_free(store);
    return;
  }
  // What libcurl sets on the stores it loads: issuers from the store first, and an intermediate in
  // it trusted as an anchor. Set here before any connection, libcurl's own setting later is no change.
  X509_STORE_set_flags(store, X509_V_FLAG_TRUSTED_FIRST | X509_V_FLAG_PARTIAL_CHAIN);
  store_ = store;
}

X509_STORE* SharedTrustStore::store() const {
  std::call_once(loaded_, [this] { load(); });
  return store_;
}

std::string SharedTrustStore::problem() const {
  store();
  return problem_;
}

CURLcode SharedTrustStore::on_ssl_ctx(CURL*, void* ssl_ctx, void* self) {
  X509_STORE* store = static_cast<const SharedTrustStore*>(self)->store();
  if (store == nullptr) return CURLE_SSL_CACERT_BADFILE;
  SSL_CTX_set1_cert_store(static_cast<SSL_CTX*>(ssl_ctx), store);
  return CURLE_OK;
}

void SharedTrustStore::apply(CURL* curl) const {
  if (curl_easy_setopt(curl, CURLOPT_SSL_CTX_FUNCTION, &SharedTrustStore::on_ssl_ctx) != CURLE_OK) {
    // A TLS library without the callback: libcurl reads the certificates itself, per connection.
    if (!file_.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, file_.c_str());
    if (!folder_.empty()) curl_easy_setopt(curl, CURLOPT_CAPATH, folder_.c_str());
    return;
  }
  curl_easy_setopt(curl, CURLOPT_SSL_CTX_DATA, const_cast<SharedTrustStore*>(this));
  curl_easy_setopt(curl, CURLOPT_CAINFO, nullptr);
  curl_easy_setopt(curl, CURLOPT_CAPATH, nullptr);
  curl_easy_setopt(curl, CURLOPT_PROXY_CAINFO, nullptr);
  curl_easy_setopt(curl, CURLOPT_PROXY_CAPATH, nullptr);
}

}  // namespace fetch
