// The README tour through the real CLI binary against a real daemon.

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>

#include "integration/fixture.hpp"

namespace agentmesh::testutil {
namespace {

class CliTest : public DaemonTest {
 protected:
  RunResult cli(std::vector<std::string> args, const std::string& in = {}) {
    args.push_back("--data-dir");
    args.push_back(daemon_->data_dir().string());
    return run_cli(args, in);
  }
};

TEST_F(CliTest, ReadmeTour) {
  auto r = cli({"agent", "create", "alice", "--capability", "summarize", "--capability", "translate"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("token:"), std::string::npos);
  EXPECT_NE(r.out.find("summarize, translate"), std::string::npos);
  ASSERT_EQ(cli({"agent", "create", "bob"}).status, 0);

  r = cli({"send", "--from", "alice", "--to", "bob", "hello"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("accepted request_id="), std::string::npos);
  EXPECT_NE(r.out.find("seq=1"), std::string::npos);

  const auto bob_id = js(req("GET", "/v1/agents/bob")).at("agent_id").as_string();
  r = cli({"send", "--from", "alice", "--to", std::string(bob_id), "-", "--performative", "inform"}, "from stdin");
  ASSERT_EQ(r.status, 0) << r.err;

  r = cli({"inbox", "bob"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("#1"), std::string::npos);
  EXPECT_NE(r.out.find("hello"), std::string::npos);
  EXPECT_NE(r.out.find("from stdin"), std::string::npos);
  EXPECT_NE(r.out.find("performative: inform"), std::string::npos);

  r = cli({"ack", "bob", "1"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("acked up to 1"), std::string::npos);

  r = cli({"agent", "list"});
  EXPECT_NE(r.out.find("alice"), std::string::npos);
  EXPECT_NE(r.out.find("summarize,translate"), std::string::npos);

  r = cli({"health"});
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("status: ok"), std::string::npos);

  r = cli({"inbox", "bob", "--json"});
  EXPECT_EQ(js(cli::HttpResponse{200, r.out, {}}).at("messages").as_array().size(), 2u);
}

// A task between two agents of one daemon, through the CLI: create by
// capability, accept, progress, complete with an artifact, show, watch to
// the end, and a refusal after it (the API tests cover the other refusals
// and the lists).
TEST_F(CliTest, TaskLifecycleOnOneDaemon) {
  ASSERT_EQ(cli({"agent", "create", "alice"}).status, 0);
  ASSERT_EQ(cli({"agent", "create", "bob", "--capability", "translate"}).status, 0);
  auto r = cli({"task", "create", "alice", "bonjour", "--capability", "translate", "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  auto created = js(cli::HttpResponse{200, r.out, {}});
  const std::string id(created.at("task_id").as_string());
  EXPECT_EQ(created.at("state").as_string(), "submitted");
  ASSERT_EQ(cli({"task", "accept", "bob", id}).status, 0);
  r = cli({"task", "progress", "bob", id, "halfway", "--percent", "50"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("(50%)"), std::string::npos) << r.out;
  r = cli({"task", "complete", "bob", id, "hello", "--artifact", "translation", "--last"});
  ASSERT_EQ(r.status, 0) << r.err;
  r = cli({"task", "show", "alice", id});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("completed"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("artifact translation (1 chunks, complete)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("    hello"), std::string::npos) << r.out;
  r = cli({"task", "watch", "alice", id});  // replays every step and ends at the terminal one
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("1 created -> submitted"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("4 completed -> completed"), std::string::npos) << r.out;
  r = cli({"task", "cancel", "alice", id});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("task_not_cancelable"), std::string::npos) << r.err;
  // bob's inbox holds the four steps as task events.
  EXPECT_EQ(js(req("GET", "/v1/agents/bob/inbox")).at("messages").as_array().size(), 4u);
}

TEST_F(CliTest, ErrorsGoToStderrWithTheServerCodeAndNonZeroStatus) {
  ASSERT_EQ(cli({"agent", "create", "bob"}).status, 0);
  auto r = cli({"ack", "bob", "7"});
  EXPECT_EQ(r.status, 1);
  EXPECT_TRUE(r.out.empty());
  EXPECT_NE(r.err.find("ack_beyond_last"), std::string::npos) << r.err;
  r = cli({"send", "--from", "bob", "--to", "nobody", "x"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("unknown_recipient"), std::string::npos);
  r = cli({"agent", "create", "Bad Name"});
  EXPECT_NE(r.err.find("invalid_name"), std::string::npos);
  r = run_cli({"health", "--api", "127.0.0.1:1"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("cannot reach the daemon"), std::string::npos);
  r = run_cli({"health", "--data-dir", (dir_.path() / "missing").string()});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("agentmesh daemon"), std::string::npos);
  EXPECT_EQ(run_cli({"no-such-command"}).status, 2);
}

TEST_F(CliTest, HelpOnEverySubcommand) {
  for (auto cmd : std::vector<std::vector<std::string>>{{"--help"},
                                                        {"daemon", "--help"},
                                                        {"agent", "create", "--help"},
                                                        {"send", "--help"},
                                                        {"inbox", "--help"},
                                                        {"events", "--help"},
                                                        {"ack", "--help"},
                                                        {"deadletters", "--help"},
                                                        {"health", "--help"},
                                                        {"task", "create", "--help"},
                                                        {"task", "watch", "--help"}}) {
    auto r = run_cli(cmd);
    EXPECT_EQ(r.status, 0) << cmd[0];
    EXPECT_NE(r.out.find("Usage"), std::string::npos) << cmd[0];
  }
}

TEST_F(CliTest, A2aTokensAreMintedListedAndRevoked) {
  ASSERT_EQ(cli({"agent", "create", "tr"}).status, 0);
  auto r = cli({"a2a", "token", "create", "--agent", "tr", "--label", "acme", "--expires", "30d", "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  auto created = boost::json::parse(r.out);
  EXPECT_TRUE(std::string(created.at("token").as_string()).starts_with("amt_"));
  const std::string id(created.at("token_id").as_string());
  r = cli({"a2a", "token", "list", "--agent", "tr"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find(id + "  acme  created "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("expires "), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("amt_"), std::string::npos);  // never the token itself
  r = cli({"a2a", "token", "create", "--agent", "tr", "--expires", "30x"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("--expires"), std::string::npos) << r.err;
  EXPECT_EQ(cli({"a2a", "token", "revoke", "--agent", "tr", id}).status, 0);
  r = cli({"a2a", "token", "revoke", "--agent", "tr", id});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("unknown_token"), std::string::npos) << r.err;
  EXPECT_NE(cli({"a2a", "token", "list", "--agent", "tr"}).out.find("no A2A tokens"), std::string::npos);
}

TEST_F(CliTest, A2aCredentialsAreAddedListedAndRemoved) {
  auto r = cli({"a2a", "credential", "add", "partner", "--bearer", "-"}, "tok-from-stdin\n");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("added partner"), std::string::npos) << r.out;
  r = cli({"a2a", "credential", "add", "partner", "--bearer", "tok-2"});
  EXPECT_NE(r.out.find("replaced partner"), std::string::npos) << r.out;
  r = cli({"a2a", "credential", "list"});
  EXPECT_NE(r.out.find("partner  bearer  added "), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("tok-"), std::string::npos) << r.out;  // never the secret
  r = cli({"a2a", "credential", "add", "bad name", "--bearer", "x"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("invalid_field"), std::string::npos) << r.err;
  EXPECT_EQ(cli({"a2a", "credential", "remove", "partner"}).status, 0);
  r = cli({"a2a", "credential", "remove", "partner"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("unknown_credential"), std::string::npos) << r.err;
  EXPECT_NE(cli({"a2a", "credential", "list"}).out.find("no A2A credentials"), std::string::npos);
}

TEST_F(CliTest, AgentTokenFromTheCommandLine) {
  auto bob = create("bob");
  create("carol");
  auto r = run_cli({"inbox", "bob", "--api", "127.0.0.1:" + std::to_string(daemon_->port()), "--token", bob.token});
  EXPECT_EQ(r.status, 0) << r.err;
  r = run_cli({"inbox", "carol", "--api", "127.0.0.1:" + std::to_string(daemon_->port()), "--token", bob.token});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("forbidden"), std::string::npos);
}

TEST_F(CliTest, EventsPrintsLiveMessagesAndExitsCleanlyOnCtrlC) {
  create("a");
  create("b");
  ASSERT_EQ(send("a", "b", "before").status, 202);
  int out_pipe[2];
  ASSERT_EQ(::pipe(out_pipe), 0);
  const std::string bin = agentmesh_binary(), dir = daemon_->data_dir().string();  // before fork(): no allocation after
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(out_pipe[1], 1);
    ::close(out_pipe[0]);
    ::execl(bin.c_str(), bin.c_str(), "events", "b", "--data-dir", dir.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(out_pipe[1]);
  ::fcntl(out_pipe[0], F_SETFL, O_NONBLOCK);
  std::string out;
  auto read_some = [&] {
    char buf[4096];
    ssize_t n;
    while ((n = ::read(out_pipe[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
  };
  ASSERT_TRUE(eventually([&] {
    read_some();
    return out.find("before") != std::string::npos;
  }));
  ASSERT_EQ(send("a", "b", "live one").status, 202);
  ASSERT_TRUE(eventually([&] {
    read_some();
    return out.find("live one") != std::string::npos;
  }));
  ::kill(pid, SIGINT);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::close(out_pipe[0]);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

// What the README tour needs without curl or Python: durable subscriptions,
// an agent's id, sending to an id prefix as `inbox` prints it, and empty
// results that say so.
TEST_F(CliTest, SubscriptionsIdsPrefixesAndEmptyResults) {
  auto r = cli({"find"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("no online agents found"), std::string::npos) << r.out;
  EXPECT_NE(cli({"agent", "list"}).out.find("no local agents"), std::string::npos);
  EXPECT_NE(cli({"topics"}).out.find("no topics"), std::string::npos);
  ASSERT_EQ(cli({"agent", "create", "alice"}).status, 0);
  ASSERT_EQ(cli({"agent", "create", "dave"}).status, 0);

  r = cli({"agent", "show", "dave", "--id"});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto dave_id = std::string(js(req("GET", "/v1/agents/dave")).at("agent_id").as_string());
  EXPECT_EQ(r.out, dave_id + "\n");

  r = cli({"subscriptions", "add", "dave", "news"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(cli({"subscriptions", "list", "dave"}).out, "news\n");
  ASSERT_EQ(cli({"publish", "news", "extra!", "--as", "alice"}).status, 0);
  ASSERT_TRUE(eventually([&] { return js(req("GET", "/v1/agents/dave")).at("last_seq").as_int64() == 1; }));
  EXPECT_EQ(cli({"subscriptions", "remove", "dave", "news"}).status, 0);
  EXPECT_NE(cli({"subscriptions", "list", "dave"}).out.find("no durable subscriptions"), std::string::npos);
  EXPECT_NE(cli({"subscriptions", "remove", "dave", "news"}).err.find("not_found"), std::string::npos);

  // 8 hex characters of dave's id, as `inbox` and `find` print them.
  r = cli({"send", "--from", "alice", "--to", dave_id.substr(0, 8), "by prefix"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("seq=2"), std::string::npos) << r.out;
  EXPECT_NE(cli({"inbox", "dave"}).out.find("by prefix"), std::string::npos);
  r = cli({"send", "--from", "alice", "--to", "0123456789abcdef", "nobody"});  // no such prefix
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("unknown_recipient"), std::string::npos) << r.err;
}

TEST_F(CliTest, DeadLettersListAndDelete) {
  create("a");
  create("b");
  ASSERT_EQ(send("a", "b", "orphan").status, 202);
  ASSERT_EQ(cli({"agent", "delete", "b"}).status, 0);
  auto r = cli({"deadletters"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("reason=agent_deleted"), std::string::npos);
  EXPECT_NE(r.out.find("orphan"), std::string::npos);
  const auto id = js(req("GET", "/v1/deadletters")).at("dead_letters").as_array()[0].at("id").as_int64();
  r = cli({"deadletters", "retry", std::to_string(id)});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("unknown_recipient"), std::string::npos);
  EXPECT_EQ(cli({"deadletters", "delete", std::to_string(id)}).status, 0);
  EXPECT_NE(cli({"deadletters"}).out.find("(0 dead letters)"), std::string::npos);
}

}  // namespace
}  // namespace agentmesh::testutil
