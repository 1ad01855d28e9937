// agentmesh: the daemon and the command-line client in one binary.
// Everything lives in src/; see cli/commands.hpp.
#include "cli/commands.hpp"

int main(int argc, char** argv) { return agentmesh::cli::run(argc, argv); }
