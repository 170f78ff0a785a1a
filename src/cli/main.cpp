#include <malloc.h>

#include <iostream>

#include "cli/run.hpp"

int main(int argc, char** argv) {
  // Large blocks (the customer index, the row buckets' neighbours) come straight from mmap and go
  // back to the system when freed; glibc's adaptive threshold would otherwise keep them in the
  // heap and raise the peak memory of a big run by a fifth.
  mallopt(M_MMAP_THRESHOLD, 1 << 20);
  return csm::cli::run(argc, argv, std::cout, std::cerr);
}
