// node/diagnostics: the process figures (/proc/self on Linux).

#include "node/diagnostics.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace agentmesh::node {

ProcessFigures read_process_figures() {
  ProcessFigures p;
  const auto page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  const auto ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  if (std::ifstream statm("/proc/self/statm"); statm) {
    std::uint64_t size = 0, resident = 0;
    statm >> size >> resident;
    p.virtual_bytes = size * page;
    p.resident_bytes = resident * page;
  }
  if (std::ifstream stat("/proc/self/stat"); stat) {
    std::string line;
    std::getline(stat, line);
    // Fields after the command name (which may contain spaces), from field 3.
    const auto close = line.rfind(')');
    if (close != std::string::npos) {
      std::istringstream in(line.substr(close + 2));
      std::string field;
      std::uint64_t utime = 0, stime = 0, start = 0;
      for (int i = 3; in >> field; ++i) {
        if (i == 14) utime = std::stoull(field);
        if (i == 15) stime = std::stoull(field);
        if (i == 22) {
          start = std::stoull(field);
          break;
        }
      }
      p.cpu_seconds = static_cast<double>(utime + stime) / ticks;
      double boot = 0;
      if (std::ifstream s("/proc/stat"); s) {
        std::string key;
        while (s >> key) {
          if (key == "btime") {
            s >> boot;
            break;
          }
          std::getline(s, key);
        }
      }
      p.start_time_seconds = boot + static_cast<double>(start) / ticks;
    }
  }
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec); !ec && it != std::filesystem::end(it);
       it.increment(ec)) {
    ++p.open_fds;
  }
  if (rlimit r{}; ::getrlimit(RLIMIT_NOFILE, &r) == 0) p.max_fds = r.rlim_cur;
  p.allocator = core::allocator_figures();
  return p;
}

}  // namespace agentmesh::node
