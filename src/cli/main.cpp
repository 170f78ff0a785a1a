#include <iostream>

#include "cli/run.hpp"

int main(int argc, char** argv) { return csm::cli::run(argc, argv, std::cout, std::cerr); }
