// `agentmesh ui [--no-open]`: a one-time login link for the web console
// (docs/security.md, "The web console"). The link carries a code that works
// once, for 60 s; the admin token never appears in it.

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <boost/json/object.hpp>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <vector>

#include "cli/context.hpp"

namespace agentmesh::cli {
namespace {

// A browser opener for this session: xdg-open with a display, else none.
std::string browser_opener() {
  const char* display = std::getenv("DISPLAY");
  const char* wayland = std::getenv("WAYLAND_DISPLAY");
  if ((!display || !*display) && (!wayland || !*wayland)) return {};
  const char* path = std::getenv("PATH");
  std::string_view dirs = path ? path : "/usr/bin:/bin";
  while (!dirs.empty()) {
    const auto colon = dirs.find(':');
    const auto dir = dirs.substr(0, colon);
    dirs = colon == std::string_view::npos ? std::string_view() : dirs.substr(colon + 1);
    const auto candidate = std::filesystem::path(dir) / "xdg-open";
    if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
  }
  return {};
}

// Starts `opener url` detached; true when it started.
bool open_in_browser(const std::string& opener, std::string url) {
  const pid_t pid = ::fork();
  if (pid < 0) return false;
  if (pid == 0) {
    ::setsid();
    const int null = ::open("/dev/null", O_RDWR);
    ::dup2(null, 0);
    ::dup2(null, 1);
    ::dup2(null, 2);
    std::string exe = opener;
    std::vector<char*> argv{exe.data(), url.data(), nullptr};
    ::execv(exe.c_str(), argv.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);  // xdg-open hands the URL over and returns
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

}  // namespace

void add_ui_command(CLI::App& app, Global& g) {
  auto* ui = app.add_subcommand("ui", "print (and open) a one-time login link for the web console");
  add_global(*ui, g);
  static bool no_open = false;
  ui->add_flag("--no-open", no_open, "only print the link");
  ui->callback([&g] {
    auto c = client(g);
    auto v = call(g, "POST", "/v1/ui/codes");
    const bool v6 = c.host().find(':') != std::string::npos;
    const auto host = v6 ? "[" + c.host() + "]" : c.host();
    const auto url = fmt::format("http://{}:{}{}", host, c.port(), str(v, "path"));
    if (g.json) {
      boost::json::object o = v.as_object();
      o["url"] = url;
      return print_json(o);
    }
    std::cout << url << "\n";
    std::cerr << fmt::format("The link logs in once, within {} s; run `agentmesh ui` again for another.\n",
                             str(v, "expires_in_s"));
    if (no_open) return;
    const auto opener = browser_opener();
    if (opener.empty()) {
      std::cerr << "No browser here (no display): open the link on this machine, or forward the port.\n";
    } else if (!open_in_browser(opener, url)) {
      std::cerr << "Could not open a browser: open the link yourself.\n";
    }
  });
}

}  // namespace agentmesh::cli
