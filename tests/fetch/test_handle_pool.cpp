#include <catch2/catch.hpp>

#include <set>
#include <string>

#include "engine/handle_pool.hpp"

using fetch::HandlePool;

TEST_CASE("a transfer gets the idle handle that served its host last", "[fetch][handle-pool]") {
  const fetch::TransferOptions options;
  HandlePool pool(options, 2);
  CURL* a = nullptr;
  CURL* b = nullptr;
  {
    HandlePool::Lease la = pool.take("a.example");
    HandlePool::Lease lb = pool.take("b.example");
    a = la.get();
    b = lb.get();
  }
  CHECK(a != b);
  CHECK(pool.take("b.example").get() == b);
  CHECK(pool.take("a.example").get() == a);
  {
    // While a's handle is out, a's next transfer gets another one, which then serves a too.
    HandlePool::Lease first = pool.take("a.example");
    HandlePool::Lease second = pool.take("a.example");
    CHECK(first.get() == a);
    CHECK(second.get() == b);
    first.give_back();
    CHECK(pool.take("a.example").get() == a);
  }
  CHECK(pool.size() == 2);
}

TEST_CASE("a host never served gets a new handle up to `keep`, then the one idle longest", "[fetch][handle-pool]") {
  const fetch::TransferOptions options;
  HandlePool pool(options, 2);
  CURL* a = pool.take("a.example").get();
  CHECK(pool.take("b.example").get() != a);  // a's handle stays for a
  CHECK(pool.size() == 2);
  std::set<CURL*> taken;
  {
    HandlePool::Lease c = pool.take("c.example");  // the one idle longest: a's
    CHECK(c.get() == a);
    HandlePool::Lease d = pool.take("d.example");
    HandlePool::Lease e = pool.take("e.example");  // none idle: a third
    taken = {c.get(), d.get(), e.get()};
  }
  CHECK(taken.size() == 3);
  CHECK(pool.size() == 3);
}
