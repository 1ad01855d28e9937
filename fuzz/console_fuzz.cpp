// Fuzzes the web console's request headers and logins: the Host check, the
// Cookie parser, the cookie name, and codes offered to ConsoleAuth. None may
// crash; a made-up code or session id never logs in; the cookie name is
// always a valid cookie name.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "api/console_auth.hpp"
#include "core/clock.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace agentmesh;
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const auto cut = in.find('\n');
  const auto host = in.substr(0, cut);
  const auto rest = cut == std::string_view::npos ? std::string_view() : in.substr(cut + 1);
  (void)api::host_allowed(host, "127.0.0.1");
  (void)api::host_allowed(host, "::1");
  (void)api::is_console_path(host);
  const auto name = api::session_cookie_name(host);
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) std::abort();
  }
  const auto value = api::cookie_value(rest, name);
  if (value.size() > rest.size()) std::abort();
  core::ManualClock clock;
  api::ConsoleAuth auth(clock);
  const auto real = auth.issue_code();
  if (rest != real && auth.redeem(rest)) std::abort();
  if (auth.touch(value) || auth.touch(rest)) std::abort();
  if (!auth.redeem(real)) std::abort();
  return 0;
}
