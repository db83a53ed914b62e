// Where the CA certificates come from (curl's order), and what a refused certificate is said with.

#include <catch2/catch.hpp>

#include <map>
#include <string>

#include "engine/trust_store.hpp"

namespace {

common::Environment environment(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

}  // namespace

TEST_CASE("CA certificates: the flags, else CURL_CA_BUNDLE, else SSL_CERT_DIR, else SSL_CERT_FILE", "[fetch][tls]") {
  const auto all = environment({{"CURL_CA_BUNDLE", "/b.pem"}, {"SSL_CERT_DIR", "/d"}, {"SSL_CERT_FILE", "/f.pem"}});
  fetch::TrustStore t = fetch::resolve_trust_store("/flag.pem", "", all);
  CHECK(t.file == "/flag.pem");
  CHECK(t.folder.empty());
  CHECK(t.describe() == "--cacert /flag.pem");
  t = fetch::resolve_trust_store("", "/flagdir", all);
  CHECK(t.file.empty());
  CHECK(t.describe() == "--capath /flagdir");
  CHECK(fetch::resolve_trust_store("/a.pem", "/b", all).describe() == "--cacert /a.pem and --capath /b");
  CHECK(fetch::resolve_trust_store("", "", all).describe() == "CURL_CA_BUNDLE /b.pem");
  CHECK(fetch::resolve_trust_store("", "", environment({{"SSL_CERT_DIR", "/d"}, {"SSL_CERT_FILE", "/f.pem"}}))
            .describe() == "SSL_CERT_DIR /d");
  CHECK(fetch::resolve_trust_store("", "", environment({{"CURL_CA_BUNDLE", ""}, {"SSL_CERT_FILE", "/f.pem"}}))
            .describe() == "SSL_CERT_FILE /f.pem");  // an empty variable is not set
  t = fetch::resolve_trust_store("", "", environment({}));
  CHECK(t.file.empty());
  CHECK(t.folder.empty());
  CHECK(t.describe() == "the system's CA certificates");
  CHECK_NOTHROW(fetch::check_readable(t));
  CHECK_THROWS_WITH(fetch::check_readable(fetch::resolve_trust_store("/nowhere/ca.pem", "", all)),
                    "--cacert /nowhere/ca.pem: cannot read the CA certificates: No such file or directory");
}

TEST_CASE("after a refused certificate: --cacert suggested for an unknown issuer only, --insecure for every one",
          "[fetch][tls]") {
  const auto trust = fetch::resolve_trust_store("", "", environment({{"SSL_CERT_FILE", "/corp.pem"}}));
  const std::string issuer =
      " (checked against SSL_CERT_FILE /corp.pem; --cacert FILE trusts a private CA, --insecure skips certificate "
      "checks)";
  CHECK(fetch::verification_hint(20, trust) == issuer);  // X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY
  CHECK(fetch::verification_hint(18, trust) == issuer);  // X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT
  CHECK(fetch::verification_hint(19, trust) == issuer);  // X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN
  CHECK(fetch::verification_hint(10, trust) == " (--insecure skips certificate checks)");  // expired
  CHECK(fetch::verification_hint(0, trust) == " (--insecure skips certificate checks)");   // the name
}
