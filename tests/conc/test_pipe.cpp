#include <catch2/catch.hpp>
#include <conc/pipe.hpp>
#include <conc/shared_buffer.hpp>

#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "../support/processes.hpp"

using namespace std::chrono_literals;

TEST_CASE("a pipe keeps message boundaries both ways", "[pipe]") {
  auto [a, b] = conc::Pipe::create();
  const std::vector<std::string> sent = {"", "x", std::string(5 << 20, 'y'), "last"};
  std::thread writer([&, &a = a] {
    for (const auto& m : sent) a.send(m);
  });
  for (const auto& expected : sent) {
    auto m = b.recv(30s);
    REQUIRE(m.has_value());
    CHECK(m->bytes == expected);
  }
  writer.join();
  b.send("reply");
  CHECK(a.recv(30s)->bytes == "reply");
}

TEST_CASE("recv gives up after its timeout", "[pipe]") {
  auto [a, b] = conc::Pipe::create();
  const auto start = std::chrono::steady_clock::now();
  CHECK_FALSE(b.recv(50ms).has_value());
  CHECK(std::chrono::steady_clock::now() - start >= 50ms);
  a.send("late");
  CHECK(b.recv(30s)->bytes == "late");
}

TEST_CASE("a closed or vanished peer ends recv with PipeClosed, never a hang", "[pipe]") {
  {
    auto [a, b] = conc::Pipe::create();
    a.send("one");
    a.close();
    CHECK(b.recv(30s)->bytes == "one");
    CHECK_THROWS_AS(b.recv(30s), conc::PipeClosed);
    CHECK_THROWS_AS(b.send("anyone?"), conc::PipeClosed);
  }
  {
    auto [a, b] = conc::Pipe::create();
    // Half a message: a header that promises 100 bytes, then 10 of them, then the end.
    const std::uint32_t header[2] = {104, 0};
    REQUIRE(::write(a.fd(), header, sizeof header) == sizeof header);
    REQUIRE(::write(a.fd(), "0123456789", 10) == 10);
    a.close();
    CHECK_THROWS_WITH(b.recv(30s), Catch::Contains("middle of a message"));
  }
}

TEST_CASE("messages over the cap are refused on both sides", "[pipe]") {
  auto [a, b] = conc::Pipe::create(1024);
  CHECK_THROWS_AS(a.send(std::string(1025, 'z')), std::length_error);
  a.send(std::string(1024, 'z'));
  CHECK(b.recv(30s)->bytes.size() == 1024);
  const std::uint32_t header[2] = {1u << 30, 0};
  REQUIRE(::write(a.fd(), header, sizeof header) == sizeof header);
  CHECK_THROWS_WITH(b.recv(30s), Catch::Contains("over the cap"));
}

TEST_CASE("a shared buffer travels through a pipe as a descriptor", "[pipe][shared_buffer]") {
  const std::size_t fds_before = open_fds();
  {
    auto [a, b] = conc::Pipe::create();
    auto buffer = conc::SharedBuffer::create(1 << 20);
    std::memcpy(buffer.data(), "through the pipe", 16);
    a.send_value(buffer);
    auto got = b.recv_value<conc::SharedBuffer>(30s);
    REQUIRE(got.has_value());
    CHECK(got->size() == buffer.size());
    CHECK(got->view().substr(0, 16) == "through the pipe");
    std::memcpy(got->data(), "changed", 7);  // one memory: the sender sees it
    CHECK(buffer.view().substr(0, 7) == "changed");
  }
  CHECK(open_fds() == fds_before);
}

TEST_CASE("descriptors the kernel drops lose their message, not the stream", "[pipe][fd-limit]") {
  auto [a, b] = conc::Pipe::create();
  auto buffer = conc::SharedBuffer::create(4096);
  a.send_value(buffer);
  a.send("after");
  {
    const auto fillers = fill_descriptor_holes();
    FileLimit limit(static_cast<rlim_t>(highest_open_fd()) + 1);  // no room to receive a descriptor
    REQUIRE(limit.ok());
    CHECK_THROWS_WITH(b.recv(30s), Catch::Contains("descriptors were lost"));
  }
  auto next = b.recv(30s);
  REQUIRE(next.has_value());
  CHECK(next->bytes == "after");
}
