#include <catch2/catch.hpp>
#include <conc/shared_buffer.hpp>

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <system_error>

#include "../support/processes.hpp"

TEST_CASE("a shared buffer starts zeroed and holds what is written", "[shared_buffer]") {
  auto buffer = conc::SharedBuffer::create(10000);
  REQUIRE(buffer.size() == 10000);
  CHECK(std::all_of(buffer.data(), buffer.data() + buffer.size(), [](std::byte b) { return b == std::byte{0}; }));
  std::memcpy(buffer.data(), "hello", 5);
  CHECK(buffer.view().substr(0, 5) == "hello");
  auto words = buffer.as<std::uint32_t>();
  CHECK(words.size() == 2500);
  words[2499] = 0xfeedbeef;
  CHECK(buffer.as<const std::uint32_t>()[2499] == 0xfeedbeef);
  CHECK_THROWS_AS(buffer.as<std::uint64_t[3]>(), std::invalid_argument);  // 10000 is not a multiple of 24
}

TEST_CASE("bad sizes are refused with a clear error", "[shared_buffer]") {
  CHECK_THROWS_WITH(conc::SharedBuffer::create(0), Catch::Contains("size 0"));
  CHECK_THROWS_WITH(conc::SharedBuffer::create(4097, 4096), Catch::Contains("over the limit of 4096"));
  CHECK_THROWS_AS(conc::SharedBuffer::map(conc::Fd()), std::invalid_argument);
}

TEST_CASE("a descriptor maps the same memory and a sealed one maps read-only for good", "[shared_buffer]") {
  const std::size_t fds_before = open_fds();
  {
    auto buffer = conc::SharedBuffer::create(4096);
    {
      auto other = conc::SharedBuffer::map(conc::Fd(::fcntl(buffer.fd(), F_DUPFD_CLOEXEC, 0)));
      CHECK_FALSE(other.sealed());
      std::memcpy(buffer.data(), "shared", 6);
      CHECK(other.view().substr(0, 6) == "shared");  // one memory, two mappings
    }

    buffer.seal();
    CHECK(buffer.sealed());
    CHECK_THROWS_AS(buffer.data(), std::logic_error);
    CHECK(buffer.view().substr(0, 6) == "shared");
    auto reader = conc::SharedBuffer::map(conc::Fd(::fcntl(buffer.fd(), F_DUPFD_CLOEXEC, 0)));
    CHECK(reader.sealed());
    // Nobody can map it writable any more.
    CHECK(::mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, reader.fd(), 0) == MAP_FAILED);
  }
  CHECK(open_fds() == fds_before);
}

TEST_CASE("a buffer cannot be sealed while another mapping can write it", "[shared_buffer]") {
  auto buffer = conc::SharedBuffer::create(4096);
  auto writer = conc::SharedBuffer::map(conc::Fd(::fcntl(buffer.fd(), F_DUPFD_CLOEXEC, 0)));
  CHECK_THROWS_AS(buffer.seal(), std::system_error);
  CHECK_FALSE(buffer.sealed());
  std::memcpy(buffer.data(), "still writable", 14);  // the buffer stays usable
  CHECK(writer.view().substr(0, 14) == "still writable");
}

TEST_CASE("a buffer moves, and travels only inside a message", "[shared_buffer]") {
  auto a = conc::SharedBuffer::create(100);
  const int fd = a.fd();
  conc::SharedBuffer b = std::move(a);
  CHECK(b.fd() == fd);
  CHECK(a.size() == 0);  // NOLINT(bugprone-use-after-move): moved-from is empty
  CHECK_THROWS_AS(conc::encode(b), std::logic_error);
  conc::Message message;
  {
    conc::detail::AttachFds attach(message.fds);
    message.bytes = conc::encode(b);
  }
  REQUIRE(message.fds.size() == 1);
  conc::detail::ReceiveFds receive(message.fds);
  auto copy = conc::decode<conc::SharedBuffer>(message.bytes);
  CHECK(copy.size() == 100);
}

TEST_CASE("a descriptor whose size is not sealed is refused", "[shared_buffer]") {
  conc::Fd memfd(::memfd_create("unsealed", MFD_CLOEXEC));
  REQUIRE(memfd);
  REQUIRE(::ftruncate(memfd.get(), 4096) == 0);
  CHECK_THROWS_WITH(conc::SharedBuffer::map(std::move(memfd)), Catch::Contains("size is not sealed"));
}
