#include <malloc.h>

#include <csignal>
#include <cstdio>
#include <iostream>
#include <new>

#include "cli/run.hpp"

int main(int argc, char** argv) {
  // Large blocks (the customer index, the row buckets' neighbours) come straight from mmap and go
  // back to the system when freed; glibc's adaptive threshold would otherwise keep them in the
  // heap and raise the peak memory of a big run by a fifth.
  mallopt(M_MMAP_THRESHOLD, 1 << 20);
  // `csm-metrics ... | head -1`: when the reader of stdout goes away, end quietly, killed by
  // SIGPIPE (status 141 in a shell), as cat and grep do. The default action, restored here because
  // a parent may have left SIGPIPE ignored (systemd services, some job runners), which would turn
  // it into a "write failed" error (exit 74) on stderr.
  std::signal(SIGPIPE, SIG_DFL);
  try {
    return csm::cli::run(argc, argv, std::cout, std::cerr);
  } catch (const std::bad_alloc&) {
    // Only when memory runs out before run() can report it (setting up the command line).
    std::fputs("csm-metrics: error: out of memory\n", stderr);
    return csm::cli::kOsError;
  }
}
