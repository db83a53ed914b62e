#include <catch2/catch.hpp>

#include <string>

#include "engine/resolve_entries.hpp"

using fetch::resolve_entry_problem;

TEST_CASE("resolve entries as curl takes them", "[fetch][resolve]") {
  for (const char* good : {"example.com:443:127.0.0.1", "+example.com:80:10.0.0.1,10.0.0.2", "example.com:443:::1",
                           "example.com:443:[::1]", "*:8080:127.0.0.1"}) {
    INFO(good);
    CHECK_FALSE(resolve_entry_problem(good));
  }
  const std::string form = " is not HOST:PORT:ADDRESS[,ADDRESS...]";
  CHECK(resolve_entry_problem("example.com:443") == "'example.com:443'" + form);
  CHECK(resolve_entry_problem(":443:127.0.0.1") == "':443:127.0.0.1'" + form);
  CHECK(resolve_entry_problem("example.com:443:") == "'example.com:443:'" + form);
  CHECK(resolve_entry_problem("example.com:0:127.0.0.1") ==
        "'example.com:0:127.0.0.1'" + form + ": the port must be a number from 1 to 65535");
  CHECK(resolve_entry_problem("example.com:https:127.0.0.1") ==
        "'example.com:https:127.0.0.1'" + form + ": the port must be a number from 1 to 65535");
  CHECK(resolve_entry_problem("example.com:443:127.0.0.1,") ==
        "'example.com:443:127.0.0.1,'" + form + ": '' is not an IPv4 or IPv6 address");
  CHECK(resolve_entry_problem("example.com:443:localhost") ==
        "'example.com:443:localhost'" + form + ": 'localhost' is not an IPv4 or IPv6 address");
}
