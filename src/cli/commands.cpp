// The `agentmesh` command line: each command group registers itself
// (cli/context.hpp lists them, one file each); run() parses and dispatches.

#include "cli/commands.hpp"

#include "cli/context.hpp"

namespace agentmesh::cli {

int run(int argc, char** argv) {
  CLI::App app{"agentmesh: a peer-to-peer message network for AI agents"};
  app.require_subcommand(1);
  app.set_version_flag("--version", AGENTMESH_VERSION);
  Global g;
  int status = 0;
  add_daemon_command(app, status);
  add_agent_commands(app, g);
  add_message_commands(app, g);
  add_stream_commands(app, g);
  add_topic_commands(app, g);
  add_directory_commands(app, g);
  add_peer_commands(app, g);
  add_dead_letter_commands(app, g);
  add_task_commands(app, g);
  add_conversation_commands(app, g);
  add_a2a_commands(app, g);
  add_health_command(app, g, status);
  add_ui_command(app, g);
  mcp::add_mcp_command(app, g, status);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  } catch (const Failure& f) {
    return f.status;
  }
  return status;
}

}  // namespace agentmesh::cli
