// Two processes talking through a Pipe. The child is this program started again (conc::Process)
// running a registered function, which gets its end of the pipe as its argument.

#include <conc/pipe.hpp>
#include <conc/process.hpp>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>

// The child: answers every message with the same text in capitals, until the parent hangs up.
int shout(conc::Pipe pipe) {
  try {
    while (std::optional<conc::Message> message = pipe.recv()) {
      std::string text = std::move(message->bytes);
      for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      pipe.send(text);
    }
  } catch (const conc::PipeClosed&) {
    // the parent closed its end: the conversation is over
  }
  return 0;
}
CONC_TASK(shout);

int main(int argc, char** argv) {
  conc::worker_main_if_requested(argc, argv);  // in the child this runs shout() and exits

  auto [mine, theirs] = conc::Pipe::create();
  conc::Process child = conc::Process::start<shout>(theirs);
  theirs.close();  // the child has its own copy of that end

  for (std::string text : {"hello", "how are you?"}) {
    mine.send(text);
    std::optional<conc::Message> reply = mine.recv(std::chrono::seconds(10));
    if (!reply) {
      std::fprintf(stderr, "no reply within 10 s\n");
      return 1;
    }
    std::printf("sent \"%s\", got \"%s\"\n", text.c_str(), reply->bytes.c_str());
  }

  mine.close();  // the child's recv() throws PipeClosed and shout() returns
  if (!child.join(std::chrono::seconds(10))) {
    std::fprintf(stderr, "the child did not exit within 10 s\n");
    return 1;  // ~Process kills and reaps it
  }
  std::printf("child exited with status %d\n", *child.exitcode());
}
