#include "engine/trust_store.hpp"

#include <openssl/x509_vfy.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <stdexcept>

namespace fetch {

void TrustStore::apply(CURL* curl) const {
  if (!file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, file.c_str());
  if (!folder.empty()) curl_easy_setopt(curl, CURLOPT_CAPATH, folder.c_str());
}

std::string TrustStore::describe() const {
  std::string text;
  if (!file.empty()) text = file_from + " " + file;
  if (!folder.empty()) text += (text.empty() ? "" : " and ") + folder_from + " " + folder;
  return text.empty() ? "the system's CA certificates" : text;
}

TrustStore resolve_trust_store(const std::string& cacert, const std::string& capath, const common::Environment& env) {
  TrustStore trust;
  if (!cacert.empty() || !capath.empty()) {
    trust.file = cacert;
    trust.file_from = "--cacert";
    trust.folder = capath;
    trust.folder_from = "--capath";
    return trust;
  }
  // The curl tool's order: the first of these that is set (and not empty) is the only one used.
  auto set = [&](const char* name) -> std::optional<std::string> {
    auto value = env(name);
    if (value && value->empty()) value.reset();
    return value;
  };
  if (auto bundle = set("CURL_CA_BUNDLE")) {
    trust.file = *bundle;
    trust.file_from = "CURL_CA_BUNDLE";
  } else if (auto folder = set("SSL_CERT_DIR")) {
    trust.folder = *folder;
    trust.folder_from = "SSL_CERT_DIR";
  } else if (auto file = set("SSL_CERT_FILE")) {
    trust.file = *file;
    trust.file_from = "SSL_CERT_FILE";
  }
  return trust;
}

void check_readable(const TrustStore& trust) {
  auto check = [](const std::string& path, const std::string& from, int mode) {
    if (path.empty() || ::access(path.c_str(), mode) == 0) return;
    throw std::runtime_error(from + " " + path + ": cannot read the CA certificates: " + std::strerror(errno));
  };
  check(trust.file, trust.file_from, R_OK);
  check(trust.folder, trust.folder_from, R_OK | X_OK);
}

std::string verification_hint(long verify_result, const TrustStore& trust) {
  switch (verify_result) {
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
      return " (checked against " + trust.describe() +
             "; --cacert FILE trusts a private CA, --insecure skips certificate checks)";
    default:
      return " (--insecure skips certificate checks)";
  }
}

}  // namespace fetch
