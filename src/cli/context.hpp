#pragma once
// cli/context: what every command group shares: the global options (which
// daemon, which token, --json), the HTTP call that turns an error answer into
// a message on stderr and exit status 1, and small output helpers.
//
// Threading: the CLI is single-threaded. Internal to cli/.

#include <CLI/CLI.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "cli/http_client.hpp"

namespace agentmesh::cli {

// --api, --token, --data-dir, --name, --json: every command takes them.
struct Global {
  std::string api;
  std::string token;
  std::string data_dir;
  std::string name;
  bool json = false;
};

// Thrown by fail(): run() turns it into the exit status.
struct Failure {
  int status;
};

// Prints "error: <message>" to stderr and ends the command with status 1.
[[noreturn]] void fail(const std::string& message);

void add_global(CLI::App& app, Global& g);
std::filesystem::path data_dir_of(const Global& g);
// A client for the daemon the options name (fails when none is found).
HttpClient client(const Global& g);
// Runs a request; on an error status prints the server's error and fails.
boost::json::value call(const Global& g, std::string_view method, const std::string& target,
                        const std::string& body = {});

std::string url_escape(std::string_view s);
// `s` without trailing spaces and line ends (a file's content).
std::string trim_end(std::string s);
// A field as text ("" when absent; non-strings serialized).
std::string str(const boost::json::value& v, std::string_view key);
void print_json(const boost::json::value& v);
// Unix ms as an ISO 8601 UTC time with milliseconds.
std::string format_time(std::int64_t ms);
std::string body_text(const boost::json::object& m);
std::string join(const boost::json::array& items, std::string_view sep);
void print_message(const boost::json::object& m);
void print_agent(const boost::json::value& a);

// The command groups (one file each).
void add_daemon_command(CLI::App& app, int& status);
void add_agent_commands(CLI::App& app, Global& g);
void add_message_commands(CLI::App& app, Global& g);
void add_stream_commands(CLI::App& app, Global& g);
void add_topic_commands(CLI::App& app, Global& g);
void add_directory_commands(CLI::App& app, Global& g);
void add_peer_commands(CLI::App& app, Global& g);
void add_dead_letter_commands(CLI::App& app, Global& g);
void add_task_commands(CLI::App& app, Global& g);
void add_conversation_commands(CLI::App& app, Global& g);
void add_a2a_commands(CLI::App& app, Global& g);
void add_health_command(CLI::App& app, Global& g, int& status);
void add_ui_command(CLI::App& app, Global& g);
namespace mcp {
void add_mcp_command(CLI::App& app, Global& g, int& status);
}

}  // namespace agentmesh::cli
