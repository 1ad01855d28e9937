#include "daemon/config.hpp"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <cstdlib>

#include "core/error.hpp"
#include "core/ids.hpp"

namespace agentmesh::daemon {
namespace {

const error_code kInvalid = make_error_code(boost::system::errc::invalid_argument);

bool valid_level(std::string_view l) {
  for (auto v : {"trace", "debug", "info", "warn", "error", "critical", "off"}) {
    if (l == v) return true;
  }
  return false;
}

// Reads an optional integer key in [min, max] from a TOML table.
template <class T>
bool read_int(const toml::table& t, std::string_view section, std::string_view key, T& out, std::int64_t min,
              std::int64_t max, std::string& why) {
  const toml::node* n = section.empty() ? t.get(key) : nullptr;
  if (!section.empty()) {
    if (const auto* sec = t.get_as<toml::table>(section)) n = sec->get(key);
  }
  if (!n) return true;
  const auto* v = n->as_integer();
  if (!v || v->get() < min || v->get() > max) {
    why = fmt::format("config: {}{}{} must be an integer from {} to {}", section, section.empty() ? "" : ".", key, min,
                      max);
    return false;
  }
  out = static_cast<T>(v->get());
  return true;
}

std::optional<std::string> read_string(const toml::table& t, std::string_view section, std::string_view key, bool& ok,
                                       std::string& why) {
  const toml::node* n = nullptr;
  if (section.empty()) {
    n = t.get(key);
  } else if (const auto* sec = t.get_as<toml::table>(section)) {
    n = sec->get(key);
  }
  if (!n) return std::nullopt;
  if (const auto* s = n->as_string()) return s->get();
  why = fmt::format("config: {}{}{} must be a string", section, section.empty() ? "" : ".", key);
  ok = false;
  return std::nullopt;
}

// A string array (TOML) of multiaddrs.
std::optional<std::vector<std::string>> read_string_list(const toml::table& t, std::string_view section,
                                                         std::string_view key, bool& ok, std::string& why) {
  const auto* sec = t.get_as<toml::table>(section);
  const toml::node* n = sec ? sec->get(key) : nullptr;
  if (!n) return std::nullopt;
  const auto* arr = n->as_array();
  std::vector<std::string> out;
  if (arr) {
    for (const auto& item : *arr) {
      const auto* s = item.as_string();
      if (!s) {
        arr = nullptr;
        break;
      }
      out.push_back(s->get());
    }
  }
  if (!arr) {
    why = fmt::format("config: {}.{} must be an array of strings", section, key);
    ok = false;
    return std::nullopt;
  }
  return out;
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    auto item = text.substr(start, end - start);
    while (!item.empty() && item.front() == ' ') item.erase(0, 1);
    while (!item.empty() && item.back() == ' ') item.pop_back();
    if (!item.empty()) out.push_back(item);
    start = end + 1;
  }
  return out;
}

// Parses multiaddrs, naming the source of a bad one.
bool parse_addrs(const std::vector<std::string>& texts, std::string_view what, std::vector<core::Multiaddr>& out,
                 std::string& why) {
  out.clear();
  for (const auto& t : texts) {
    auto ma = core::Multiaddr::parse(t);
    if (!ma) {
      why = fmt::format("{} address \"{}\" is not a valid multiaddr ({})", what, t, ma.error().message());
      return false;
    }
    out.push_back(std::move(*ma));
  }
  return true;
}

}  // namespace

EnvLookup process_env() {
  return [](const char* name) -> std::optional<std::string> {
    const char* v = std::getenv(name);
    if (!v || !*v) return std::nullopt;
    return std::string(v);
  };
}

std::filesystem::path default_data_dir(const std::optional<std::string>& data_dir,
                                       const std::optional<std::string>& name, const EnvLookup& env) {
  if (data_dir) return *data_dir;
  std::filesystem::path base;
  if (auto xdg = env("XDG_DATA_HOME")) {
    base = *xdg;
  } else if (auto home = env("HOME")) {
    base = std::filesystem::path(*home) / ".local" / "share";
  } else {
    base = ".";
  }
  return base / (name ? "agentmesh-" + *name : std::string("agentmesh"));
}

Result<std::pair<std::string, std::uint16_t>> parse_host_port(std::string_view text) {
  std::string host = "127.0.0.1";
  std::string_view port_text = text;
  if (text.starts_with('[')) {
    const auto close = text.find("]:");
    if (close == std::string_view::npos) return kInvalid;
    host = std::string(text.substr(1, close - 1));
    port_text = text.substr(close + 2);
  } else if (const auto colon = text.rfind(':'); colon != std::string_view::npos) {
    if (colon > 0) host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
  }
  if (port_text.empty() || port_text.size() > 5) return kInvalid;
  std::uint32_t port = 0;
  for (char c : port_text) {
    if (c < '0' || c > '9') return kInvalid;
    port = port * 10 + static_cast<std::uint32_t>(c - '0');
  }
  if (port > 65535) return kInvalid;
  return std::pair{host, static_cast<std::uint16_t>(port)};
}

namespace {

// The settings a TOML file may give as text.
struct FileStrings {
  std::optional<std::string> data_dir, name, log_level, log_format, api;
  std::optional<std::vector<std::string>> listen, bootstrap, relays;
};

// The TOML file (the flag, else AGENTMESH_CONFIG; none: an empty table).
Result<toml::table> read_config_file(const DaemonFlags& flags, const EnvLookup& env, std::string& why) {
  const auto config_path = flags.config ? flags.config : env("AGENTMESH_CONFIG");
  if (!config_path) return toml::table{};
  try {
    return toml::parse_file(*config_path);
  } catch (const toml::parse_error& e) {
    why = fmt::format("config file {}: {} (line {})", *config_path, e.description(), e.source().begin.line);
    return kInvalid;
  }
}

Result<FileStrings> read_file_strings(const toml::table& file, std::string& why) {
  bool ok = true;
  FileStrings s;
  s.data_dir = read_string(file, "", "data_dir", ok, why);
  s.name = read_string(file, "", "name", ok, why);
  s.log_level = read_string(file, "", "log_level", ok, why);
  s.log_format = read_string(file, "", "log_format", ok, why);
  s.api = read_string(file, "api", "listen", ok, why);
  s.listen = read_string_list(file, "p2p", "listen", ok, why);
  s.bootstrap = read_string_list(file, "p2p", "bootstrap", ok, why);
  s.relays = read_string_list(file, "p2p", "relays", ok, why);
  if (!ok) return kInvalid;
  return s;
}

// [presence]: the liveness beacons and the failure detector's thresholds.
bool read_presence(const toml::table& file, DaemonConfig& cfg, std::string& why) {
  auto& p = cfg.node.presence;
  std::int64_t interval = p.beacon_interval.count();
  std::int64_t suspect = p.suspect_after.count();
  std::int64_t offline = p.offline_after.count();
  if (!read_int(file, "presence", "beacon_interval_ms", interval, 100, 60'000, why) ||
      !read_int(file, "presence", "suspect_after_ms", suspect, 200, 3'600'000, why) ||
      !read_int(file, "presence", "offline_after_ms", offline, 200, 3'600'000, why)) {
    return false;
  }
  if (offline <= suspect) {
    why = "presence.offline_after_ms must be larger than presence.suspect_after_ms";
    return false;
  }
  p.beacon_interval = std::chrono::milliseconds(interval);
  p.suspect_after = std::chrono::milliseconds(suspect);
  p.offline_after = std::chrono::milliseconds(offline);
  return true;
}

// The file's limits and timeouts, each checked against its range.
bool read_file_numbers(const toml::table& file, DaemonConfig& cfg, std::string& why) {
  std::int64_t dial_timeout_ms = cfg.node.transport.dial_timeout.count();
  std::int64_t deadline_ms = cfg.shutdown_deadline.count();
  std::int64_t idle_s = cfg.api.idle_timeout.count();
  std::int64_t header_s = cfg.api.header_timeout.count();
  std::int64_t heartbeat_s = cfg.api.stream_heartbeat.count();
  std::int64_t retention_s = cfg.node.idempotency_retention_ms / 1000;
  std::int64_t acked_retention_s = cfg.node.acked_retention_ms / 1000;
  auto& conv = cfg.node.conversations;
  std::int64_t conv_idle_s = conv.idle_timeout_ms / 1000;
  std::int64_t conv_retention_s = conv.retention_ms / 1000;
  bool body_set = false;
  std::size_t max_body = 0;
  if (!read_int(file, "", "shutdown_deadline_ms", deadline_ms, 0, 600'000, why) ||
      !read_int(file, "api", "max_connections", cfg.api.max_connections, 1, 100'000, why) ||
      !read_int(file, "api", "max_header_bytes", cfg.api.max_header_bytes, 1024, 1 << 20, why) ||
      !read_int(file, "api", "idle_timeout_s", idle_s, 1, 86'400, why) ||
      !read_int(file, "api", "header_timeout_s", header_s, 1, 3'600, why) ||
      !read_int(file, "api", "stream_heartbeat_s", heartbeat_s, 1, 3'600, why) ||
      !read_int(file, "messages", "max_payload_bytes", cfg.node.max_payload_bytes, 1, 64 << 20, why) ||
      !read_int(file, "messages", "idempotency_retention_s", retention_s, 1, 30 * 86'400, why) ||
      !read_int(file, "messages", "acked_retention_s", acked_retention_s, 0, 3650 * 86'400LL, why) ||
      !read_int(file, "messages", "max_streams_per_agent", cfg.node.max_streams_per_agent, 1, 1'000, why) ||
      !read_int(file, "conversations", "idle_timeout_s", conv_idle_s, 1, 365 * 86'400LL, why) ||
      !read_int(file, "conversations", "retention_s", conv_retention_s, 0, 3650 * 86'400LL, why) ||
      !read_int(file, "conversations", "max_messages", conv.limits.max_messages, 1, 1'000'000, why) ||
      !read_int(file, "conversations", "max_per_agent", conv.limits.max_per_agent, 1, 10'000'000, why) ||
      !read_int(file, "store", "queue_capacity", cfg.node.writer.queue_capacity, 1, 10'000'000, why) ||
      !read_int(file, "store", "max_batch", cfg.node.writer.max_batch, 1, 1'000'000, why) ||
      !read_int(file, "p2p", "max_inbound", cfg.node.transport.max_inbound, 0, 100'000, why) ||
      !read_int(file, "p2p", "max_outbound", cfg.node.transport.max_outbound, 0, 100'000, why) ||
      !read_int(file, "p2p", "dial_timeout_ms", dial_timeout_ms, 100, 600'000, why)) {
    return false;
  }
  if (const auto* sec = file.get_as<toml::table>("api"); sec && sec->get("max_body_bytes")) {
    if (!read_int(file, "api", "max_body_bytes", max_body, 1024, 256 << 20, why)) return false;
    body_set = true;
  }
  cfg.shutdown_deadline = std::chrono::milliseconds(deadline_ms);
  cfg.node.transport.dial_timeout = std::chrono::milliseconds(dial_timeout_ms);
  cfg.api.idle_timeout = std::chrono::seconds(idle_s);
  cfg.api.header_timeout = std::chrono::seconds(header_s);
  cfg.api.stream_heartbeat = std::chrono::seconds(heartbeat_s);
  cfg.node.idempotency_retention_ms = retention_s * 1000;
  cfg.node.acked_retention_ms = acked_retention_s * 1000;
  conv.idle_timeout_ms = conv_idle_s * 1000;
  conv.retention_ms = conv_retention_s * 1000;
  cfg.api.max_body_bytes = body_set ? max_body : 2 * cfg.node.max_payload_bytes + 64 * 1024;
  return true;
}

// A boolean key of the file into `out` (left as is when absent). False with
// `why` when the key holds anything but true or false.
bool read_bool(const toml::table& file, std::string_view section, std::string_view key, bool& out, std::string& why) {
  const auto* sec = file.get_as<toml::table>(section);
  if (!sec || !sec->get(key)) return true;
  const auto* b = sec->get(key)->as_boolean();
  if (!b) {
    why = fmt::format("config: {}.{} must be true or false", section, key);
    return false;
  }
  out = b->get();
  return true;
}

// AutoNAT's server: p2p.autonat_service in the file, AGENTMESH_AUTONAT_SERVICE
// (true/false), --autonat-service.
bool read_autonat(const toml::table& file, const DaemonFlags& flags, const EnvLookup& env, DaemonConfig& cfg,
                  std::string& why) {
  bool service = false;
  if (!read_bool(file, "p2p", "autonat_service", service, why)) return false;
  if (auto e = env("AGENTMESH_AUTONAT_SERVICE")) {
    if (*e != "true" && *e != "false") {
      why = "AGENTMESH_AUTONAT_SERVICE must be true or false";
      return false;
    }
    service = *e == "true";
  }
  cfg.node.transport.autonat.service = service || flags.autonat_service;
  return true;
}

// The relay service: [relay] in the file (service, the limits),
// AGENTMESH_RELAY_SERVICE (true/false), --relay-service. Hole punching:
// relay.hole_punching, AGENTMESH_HOLE_PUNCHING, --no-hole-punching.
bool read_relay_service(const toml::table& file, const DaemonFlags& flags, const EnvLookup& env, DaemonConfig& cfg,
                        std::string& why) {
  auto& r = cfg.node.transport.relay_service;
  bool service = false;
  std::int64_t duration_s = r.circuit_duration.count();
  std::int64_t ttl_s = r.reservation_ttl.count();
  if (!read_bool(file, "relay", "service", service, why) ||
      !read_int(file, "relay", "max_reservations", r.max_reservations, 1, 100'000, why) ||
      !read_int(file, "relay", "max_reservations_per_ip", r.max_reservations_per_ip, 1, 100'000, why) ||
      !read_int(file, "relay", "max_circuits", r.max_circuits, 1, 100'000, why) ||
      !read_int(file, "relay", "max_circuits_per_peer", r.max_circuits_per_peer, 1, 10'000, why) ||
      !read_int(file, "relay", "reservation_ttl_s", ttl_s, 60, 86'400, why) ||
      !read_int(file, "relay", "circuit_duration_s", duration_s, 0, 86'400, why) ||
      !read_int(file, "relay", "circuit_bytes", r.circuit_bytes, 0, std::int64_t{1} << 40, why) ||
      !read_bool(file, "relay", "hole_punching", cfg.node.transport.hole_punching, why)) {
    return false;
  }
  if (auto e = env("AGENTMESH_HOLE_PUNCHING")) {
    if (*e != "true" && *e != "false") {
      why = "AGENTMESH_HOLE_PUNCHING must be true or false";
      return false;
    }
    cfg.node.transport.hole_punching = *e == "true";
  }
  if (flags.no_hole_punching) cfg.node.transport.hole_punching = false;
  if (auto e = env("AGENTMESH_RELAY_SERVICE")) {
    if (*e != "true" && *e != "false") {
      why = "AGENTMESH_RELAY_SERVICE must be true or false";
      return false;
    }
    service = *e == "true";
  }
  r.enabled = service || flags.relay_service;
  r.circuit_duration = std::chrono::seconds(duration_s);
  r.reservation_ttl = std::chrono::seconds(ttl_s);
  return true;
}

// Where the A2A gateway's push notifications may go: [a2a] webhook_allow
// (CIDRs and host names allowed besides public addresses and loopback),
// webhook_timeout_s, webhook_ca_file (api/webhook.hpp).
bool read_a2a_webhooks(const toml::table& file, DaemonConfig& cfg, std::string& why) {
  bool ok = true;
  auto allow = read_string_list(file, "a2a", "webhook_allow", ok, why);
  auto ca = read_string(file, "a2a", "webhook_ca_file", ok, why);
  std::int64_t timeout_s = 10;
  if (!ok || !read_int(file, "a2a", "webhook_timeout_s", timeout_s, 1, 120, why)) return false;
  auto& policy = cfg.a2a_gateway.webhooks;
  for (const auto& entry : allow.value_or(std::vector<std::string>{})) {
    if (!policy.allow(entry, why)) {
      why = "config: a2a.webhook_allow: " + why;
      return false;
    }
  }
  policy.timeout = std::chrono::seconds(timeout_s);
  if (ca) policy.ca_file = *ca;
  return true;
}

// The A2A gateway: [a2a] in the file, AGENTMESH_A2A / AGENTMESH_A2A_PUBLIC_URL,
// and the flags, in that order of precedence (lowest first).
bool read_a2a(const toml::table& file, const DaemonFlags& flags, const EnvLookup& env, DaemonConfig& cfg,
              std::string& why) {
  bool ok = true;
  auto listen = read_string(file, "a2a", "listen", ok, why);
  auto public_url = read_string(file, "a2a", "public_url", ok, why);
  auto tls_cert = read_string(file, "a2a", "tls_cert", ok, why);
  auto tls_key = read_string(file, "a2a", "tls_key", ok, why);
  bool insecure = false;
  if (!read_bool(file, "a2a", "insecure", insecure, why)) return false;
  if (!ok) return false;
  if (auto e = env("AGENTMESH_A2A")) listen = e;
  if (auto e = env("AGENTMESH_A2A_PUBLIC_URL")) public_url = e;
  if (flags.a2a) listen = flags.a2a;
  if (flags.a2a_public_url) public_url = flags.a2a_public_url;
  if (auto e = env("AGENTMESH_A2A_TLS_CERT")) tls_cert = e;
  if (auto e = env("AGENTMESH_A2A_TLS_KEY")) tls_key = e;
  if (flags.a2a_tls_cert) tls_cert = flags.a2a_tls_cert;
  if (flags.a2a_tls_key) tls_key = flags.a2a_tls_key;
  if (tls_cert.has_value() != tls_key.has_value() || (tls_cert && (tls_cert->empty() || tls_key->empty()))) {
    why = "the A2A gateway's TLS needs both a certificate chain and a private key (--a2a-tls-cert, --a2a-tls-key)";
    return false;
  }
  cfg.a2a_insecure = insecure || flags.a2a_insecure;
  if (!listen) return true;
  auto hp = parse_host_port(*listen);
  if (!hp) {
    why = fmt::format("A2A address \"{}\" is not HOST:PORT", *listen);
    return false;
  }
  api::ApiConfig a;
  a.host = hp->first;
  a.port = hp->second;
  a.loopback_only = false;  // checked when the daemon binds it (TLS or a2a_insecure)
  a.tls_cert = tls_cert.value_or("");
  a.tls_key = tls_key.value_or("");
  a.max_connections = 1024;
  a.max_connections_per_address = 32;
  a.requests_per_second_per_address = 50;
  a.request_burst_per_address = 100;
  a.header_timeout = std::chrono::seconds(5);
  a.idle_timeout = std::chrono::seconds(30);
  a.max_body_bytes = 2u << 20;
  std::int64_t header_s = a.header_timeout.count();
  std::int64_t blocking_s = 60;
  double rps = 50;
  std::int64_t burst = 100;
  if (const auto* sec = file.get_as<toml::table>("a2a"); sec && sec->get("requests_per_second_per_address")) {
    const auto* n = sec->get("requests_per_second_per_address");
    const auto v = n->is_integer() ? static_cast<double>(n->as_integer()->get())
                                   : (n->is_floating_point() ? n->as_floating_point()->get() : -1.0);
    if (!(v > 0 && v <= 1e6)) {
      why = "config: a2a.requests_per_second_per_address must be a number above 0, at most 1000000";
      return false;
    }
    rps = v;
  }
  if (!read_int(file, "a2a", "max_connections", a.max_connections, 1, 100'000, why) ||
      !read_int(file, "a2a", "max_connections_per_address", a.max_connections_per_address, 1, 100'000, why) ||
      !read_int(file, "a2a", "request_burst_per_address", burst, 1, 1'000'000, why) ||
      !read_int(file, "a2a", "header_timeout_s", header_s, 1, 600, why) ||
      !read_int(file, "a2a", "max_body_bytes", a.max_body_bytes, 1024, 64 << 20, why) ||
      !read_int(file, "a2a", "max_blocking_s", blocking_s, 1, 3'600, why)) {
    return false;
  }
  a.requests_per_second_per_address = rps;
  a.request_burst_per_address = static_cast<double>(burst);
  a.header_timeout = std::chrono::seconds(header_s);
  cfg.a2a = a;
  cfg.a2a_gateway.max_blocking = std::chrono::seconds(blocking_s);
  cfg.a2a_gateway.tls = !a.tls_cert.empty();
  if (!read_a2a_webhooks(file, cfg, why)) return false;
  if (public_url) {
    auto url = *public_url;
    while (url.ends_with('/')) url.pop_back();
    if (!(url.starts_with("http://") || url.starts_with("https://")) || url.find_first_of(" \t\"<>") != url.npos) {
      why = fmt::format("A2A public URL \"{}\" must be an http:// or https:// URL", *public_url);
      return false;
    }
    cfg.a2a_gateway.public_url = url;
  }
  return true;
}

}  // namespace

Result<DaemonConfig> resolve_config(const DaemonFlags& flags, const EnvLookup& env, std::string& why) {
  DaemonConfig cfg;
  if (flags.data_dir && flags.name) {
    why = "--data-dir and --name cannot be combined";
    return kInvalid;
  }
  // 1. The TOML file.
  auto file = read_config_file(flags, env, why);
  if (!file) return file.error();
  auto strings = read_file_strings(*file, why);
  if (!strings || !read_file_numbers(*file, cfg, why) || !read_presence(*file, cfg, why) ||
      !read_a2a(*file, flags, env, cfg, why) || !read_autonat(*file, flags, env, cfg, why) ||
      !read_relay_service(*file, flags, env, cfg, why))
    return kInvalid;
  const auto& [file_data_dir, file_name, file_level, file_format, file_api, file_listen, file_bootstrap, file_relays] =
      *strings;

  // 2. Environment over the file, 3. flags over both.
  auto pick = [&](const std::optional<std::string>& flag, const char* env_name,
                  const std::optional<std::string>& from_file) -> std::optional<std::string> {
    if (flag) return flag;
    if (auto e = env(env_name)) return e;
    return from_file;
  };
  // The instance is chosen as a whole: the first source that names a data dir
  // or an instance name wins (a data dir before a name within one source).
  std::optional<std::string> data_dir;
  std::optional<std::string> name;
  if (flags.data_dir || flags.name) {
    data_dir = flags.data_dir;
    name = flags.name;
  } else if (auto d = env("AGENTMESH_DATA_DIR")) {
    data_dir = d;
  } else if (auto n = env("AGENTMESH_NAME")) {
    name = n;
  } else if (file_data_dir) {
    data_dir = file_data_dir;
  } else {
    name = file_name;
  }
  if (name && !core::validate_agent_name(*name)) {
    why = fmt::format("instance name \"{}\" must be 1-64 characters of [a-z0-9._-]", *name);
    return kInvalid;
  }
  cfg.node.data_dir = default_data_dir(data_dir, name, env);

  if (auto api = pick(flags.api, "AGENTMESH_API", file_api)) {
    auto hp = parse_host_port(*api);
    if (!hp) {
      why = fmt::format("API address \"{}\" is not HOST:PORT", *api);
      return kInvalid;
    }
    cfg.api.host = hp->first;
    cfg.api.port = hp->second;
  } else if (name) {
    cfg.api.port = 0;
  }
  // Peer-to-peer addresses: flags, else AGENTMESH_LISTEN/_BOOTSTRAP
  // (comma-separated), else the file, else the default.
  auto pick_list =
      [&](const std::vector<std::string>& flag, const char* env_name,
          const std::optional<std::vector<std::string>>& from_file) -> std::optional<std::vector<std::string>> {
    if (!flag.empty()) return flag;
    if (auto e = env(env_name)) return split_list(*e);
    return from_file;
  };
  const auto listen = pick_list(flags.listen, "AGENTMESH_LISTEN", file_listen);
  const std::string default_listen =
      fmt::format("/ip4/0.0.0.0/tcp/{}", name ? 0 : transport::TransportConfig::kDefaultPort);
  if (!parse_addrs(listen ? *listen : std::vector<std::string>{default_listen}, "listen", cfg.node.transport.listen,
                   why)) {
    return kInvalid;
  }
  if (auto boot = pick_list(flags.bootstrap, "AGENTMESH_BOOTSTRAP", file_bootstrap)) {
    if (!parse_addrs(*boot, "bootstrap", cfg.node.transport.bootstrap, why)) return kInvalid;
  }
  if (auto relays = pick_list(flags.relays, "AGENTMESH_RELAYS", file_relays)) {
    if (!parse_addrs(*relays, "relay", cfg.node.transport.relays, why)) return kInvalid;
    for (const auto& r : cfg.node.transport.relays) {
      if (!r.peer_id()) {
        why = fmt::format("relay address {} must end in /p2p/<peer id>", r.to_string());
        return kInvalid;
      }
    }
  }

  if (auto level = pick(flags.log_level, "AGENTMESH_LOG_LEVEL", file_level)) cfg.log_level = *level;
  if (auto format = pick(flags.log_format, "AGENTMESH_LOG_FORMAT", file_format)) cfg.log_format = *format;
  if (!valid_level(cfg.log_level)) {
    why = fmt::format("log level \"{}\" is not one of trace, debug, info, warn, error, critical, off", cfg.log_level);
    return kInvalid;
  }
  if (cfg.log_format != "text" && cfg.log_format != "json") {
    why = fmt::format("log format \"{}\" is not text or json", cfg.log_format);
    return kInvalid;
  }
  return cfg;
}

}  // namespace agentmesh::daemon
