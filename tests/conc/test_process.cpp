#include <catch2/catch.hpp>
#include <conc/pipe.hpp>
#include <conc/process.hpp>
#include <conc/shared_buffer.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>

#include "../support/processes.hpp"

using namespace std::chrono_literals;

namespace {

// Sends back every message with "echo: " in front, until the other end closes.
int echo_pipe(conc::Pipe pipe) {
  try {
    while (auto m = pipe.recv()) pipe.send("echo: " + m->bytes);
  } catch (const conc::PipeClosed&) {
  }
  return 0;
}
CONC_TASK(echo_pipe);

int exit_with(int code) { std::exit(code); }
CONC_TASK(exit_with);

int throw_error(int) { throw std::runtime_error("no such photo"); }
CONC_TASK(throw_error);

int sleep_long(int) {
  std::this_thread::sleep_for(60s);
  return 0;
}
CONC_TASK(sleep_long);

// Writes into a buffer the parent gave it (multiprocessing's Array).
int square_into(conc::SharedBuffer buffer) {
  auto values = buffer.as<std::int64_t>();
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = static_cast<std::int64_t>(i * i);
  return 0;
}
CONC_TASK(square_into);

// Reads one message, then dies by a signal while the parent waits for a reply.
int die_mid_conversation(conc::Pipe pipe) {
  pipe.recv();
  ::raise(SIGKILL);
  return 0;
}
CONC_TASK(die_mid_conversation);

}  // namespace

TEST_CASE("a process talks through a pipe and exits when it closes", "[process]") {
  auto [mine, theirs] = conc::Pipe::create();
  conc::Process child = conc::Process::start<echo_pipe>(theirs);
  theirs.close();  // the child holds its own copy
  CHECK(child.is_alive());
  CHECK_FALSE(child.exitcode().has_value());
  mine.send("hello");
  auto reply = mine.recv(30s);
  REQUIRE(reply.has_value());
  CHECK(reply->bytes == "echo: hello");
  mine.close();
  REQUIRE(child.join(30s));
  CHECK(child.exitcode() == 0);
  CHECK_FALSE(child.is_alive());
}

TEST_CASE("exit codes say how a process ended, signals as negatives", "[process]") {
  auto exited = conc::Process::start<exit_with>(7);
  auto threw = conc::Process::start<throw_error>(0);
  auto terminated = conc::Process::start<sleep_long>(0);
  auto killed = conc::Process::start<sleep_long>(0);
  CHECK_FALSE(terminated.join(20ms));
  terminated.terminate();
  killed.kill();
  REQUIRE(exited.join(30s));
  REQUIRE(threw.join(30s));
  REQUIRE(terminated.join(30s));
  REQUIRE(killed.join(30s));
  CHECK(exited.exitcode() == 7);
  CHECK(threw.exitcode() == 1);
  CHECK(terminated.exitcode() == -SIGTERM);
  CHECK(killed.exitcode() == -SIGKILL);
}

TEST_CASE("a child that dies mid-conversation gives PipeClosed, not a hang", "[process]") {
  auto [mine, theirs] = conc::Pipe::create();
  auto child = conc::Process::start<die_mid_conversation>(theirs);
  theirs.close();
  mine.send("are you there?");
  CHECK_THROWS_AS(mine.recv(30s), conc::PipeClosed);
  REQUIRE(child.join(30s));
  CHECK(child.exitcode() == -SIGKILL);
}

TEST_CASE("a process writes into a shared buffer the parent reads", "[process][shared_buffer]") {
  auto buffer = conc::SharedBuffer::create(1000 * sizeof(std::int64_t));
  auto child = conc::Process::start<square_into>(buffer);
  REQUIRE(child.join(30s));
  CHECK(child.exitcode() == 0);
  auto values = buffer.as<const std::int64_t>();
  CHECK(values[0] == 0);
  CHECK(values[999] == 999 * 999);
}

TEST_CASE("a dropped running process is killed and reaped, and a bad program is an error", "[process]") {
  pid_t pid = 0;
  {
    auto child = conc::Process::start<sleep_long>(0);
    pid = child.pid();
    CHECK(child.is_alive());
  }
  CHECK(process_gone(pid));
  int status = 0;
  CHECK(::waitpid(pid, &status, WNOHANG) == -1);
  CHECK_THROWS_AS(conc::Process::start<exit_with>(0, {.executable = "/nonexistent/program"}), std::system_error);
}

TEST_CASE("a process dies with a parent killed by SIGKILL", "[process]") {
  const std::vector<pid_t> children = children_of_killed_helper("--orphan-process-helper", 1);
  REQUIRE(children.size() == 1);
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!process_gone(children[0]) && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(5ms);
  CHECK(process_gone(children[0]));
}

TEST_CASE("a process outlives the thread that started it", "[process]") {
  auto [mine, theirs] = conc::Pipe::create();
  std::optional<conc::Process> child;
  std::thread starter([&, &theirs = theirs] { child.emplace(conc::Process::start<echo_pipe>(theirs)); });
  starter.join();  // the starting thread is gone: the child must not go with it
  theirs.close();
  mine.send("still there?");
  auto reply = mine.recv(30s);
  REQUIRE(reply.has_value());
  CHECK(reply->bytes == "echo: still there?");
  mine.close();
  REQUIRE(child->join(30s));
  CHECK(child->exitcode() == 0);
}
