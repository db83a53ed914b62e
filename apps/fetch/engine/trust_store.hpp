#pragma once
// Where the CA certificates that verify servers come from, decided in this one place as the curl
// tool decides (libcurl itself reads no environment): --cacert FILE and --capath DIR; without
// either, CURL_CA_BUNDLE, else SSL_CERT_DIR, else SSL_CERT_FILE; without any, libcurl's default
// (the system's store, /etc/ssl/certs on Debian). And what a failed verification is said as.

#include <curl/curl.h>

#include <string>

#include "shard.hpp"

namespace fetch {

struct TrustStore {
  std::string file;         // PEM certificates (CURLOPT_CAINFO); empty: libcurl's default
  std::string folder;       // a folder hashed by `openssl rehash` (CURLOPT_CAPATH); empty: libcurl's default
  std::string file_from;    // what named the file: "--cacert", "CURL_CA_BUNDLE" or "SSL_CERT_FILE"
  std::string folder_from;  // what named the folder: "--capath" or "SSL_CERT_DIR"

  // Points a handle at these certificates (nothing to do for the system's store).
  void apply(CURL* curl) const;
  // "--cacert /x/ca.pem", "SSL_CERT_DIR /etc/corp-certs", or "the system's CA certificates".
  std::string describe() const;
};

// The trust store of the flags given (empty: not given) and the environment, by the order above.
TrustStore resolve_trust_store(const std::string& cacert, const std::string& capath, const common::Environment& env);

// Throws std::runtime_error naming the file or folder, and what named it, when it cannot be read.
void check_readable(const TrustStore& trust);

// What follows libcurl's own words on a certificate it refused (CURLE_PEER_FAILED_VERIFICATION):
// for an issuer it does not know, where the CA certificates came from and that --cacert adds a
// private CA; for every refusal, that --insecure skips the checks. `verify_result` is
// CURLINFO_SSL_VERIFYRESULT (OpenSSL's X509_V_ERR_*; 0 when the name did not match).
std::string verification_hint(long verify_result, const TrustStore& trust);

}  // namespace fetch
