// Daemon lifecycle: one daemon per data dir, permission checks, graceful
// shutdown (streams, deadline, second signal), persistence across restarts.

#include <sys/stat.h>

#include <array>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <csignal>
#include <fstream>
#include <thread>

#include "integration/fixture.hpp"

namespace agentmesh::testutil {
namespace {

namespace asio = boost::asio;

class LifecycleTest : public DaemonTest {
 protected:
  // Stops the daemon and starts it again on the same data dir with `toml` as
  // its config file; the stop's exit status.
  int restart_with_config(const std::string& toml) {
    const auto cfg = dir_.path() / "test.toml";
    std::ofstream(cfg) << toml;
    const int status = daemon_->stop();
    daemon_ = std::make_unique<Daemon>(dir_.path() / "data", std::vector<std::string>{"--config", cfg.string()});
    daemon_->start();
    return status;
  }
};

TEST_F(LifecycleTest, SecondDaemonOnTheSameDataDirIsRefused) {
  Daemon second(daemon_->data_dir());
  EXPECT_THROW(second.start(), std::runtime_error);
  const auto log = second.log();
  EXPECT_NE(log.find("another agentmesh daemon (pid " + std::to_string(daemon_->pid()) + ")"), std::string::npos)
      << log;
  // The first one is unaffected.
  EXPECT_EQ(req("GET", "/v1/health").status, 200);
}

TEST_F(LifecycleTest, CleanStopRemovesPortFileAndExitsZero) {
  ASSERT_TRUE(std::filesystem::exists(daemon_->data_dir() / "api.port"));
  EXPECT_EQ(daemon_->stop(), 0);
  EXPECT_FALSE(std::filesystem::exists(daemon_->data_dir() / "api.port"));
  EXPECT_TRUE(std::filesystem::exists(daemon_->data_dir() / "api-token"));
  EXPECT_NE(daemon_->log().find("stopped cleanly"), std::string::npos);
}

TEST_F(LifecycleTest, StateSurvivesRestartIncludingTokens) {
  auto a = create("a", R"(,"capabilities":["x"])");
  create("b");
  ASSERT_EQ(send("a", "b", "persist").status, 202);
  ASSERT_EQ(req("POST", "/v1/agents/b/inbox/ack", R"({"up_to":1})").status, 200);
  ASSERT_EQ(daemon_->stop(), 0);
  daemon_->start();
  auto agent = js(req("GET", "/v1/agents/a", "", a.token));
  EXPECT_EQ(agent.at("capabilities").as_array()[0].as_string(), "x");
  auto inbox = js(req("GET", "/v1/agents/b/inbox"));
  EXPECT_EQ(inbox.at("messages").as_array()[0].at("body").as_string(), "persist");
  EXPECT_EQ(inbox.at("acked_seq").as_int64(), 1);
  EXPECT_EQ(js(send("a", "b", "next")).at("seq").as_int64(), 2);
}

TEST_F(LifecycleTest, GracefulShutdownEndsAnOpenSseStreamCleanly) {
  create("b");
  auto client = daemon_->admin();
  std::string text;
  std::atomic<bool> opened{false};
  std::thread reader([&] {
    std::string err;
    (void)client.stream(
        "/v1/agents/b/events", {},
        [&](std::string_view d) {
          text += d;
          opened = true;
          return true;  // read until the daemon closes the stream
        },
        err);
  });
  ASSERT_TRUE(eventually([&] { return opened.load(); }));
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(daemon_->stop(), 0);
  reader.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));  // did not wait for the deadline
  EXPECT_NE(text.find("event: shutdown"), std::string::npos) << text;
}

// A client that opens a stream and never reads, so the daemon's writes block.
class StuckReader {
 public:
  StuckReader(std::uint16_t port, const std::string& token) : sock_(ioc_) {
    sock_.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    sock_.set_option(asio::socket_base::receive_buffer_size(4096));
    const std::string req =
        "GET /v1/agents/b/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + token + "\r\n\r\n";
    asio::write(sock_, asio::buffer(req));
  }

 private:
  asio::io_context ioc_;
  asio::ip::tcp::socket sock_;
};

TEST_F(LifecycleTest, ShutdownDeadlineClosesStuckStreams) {
  ASSERT_EQ(restart_with_config("shutdown_deadline_ms = 1000\n"), 0);
  create("b");
  fill_inbox("b", 12);
  StuckReader stuck(daemon_->port(), daemon_->admin_token());
  ASSERT_TRUE(eventually([&] { return js(req("GET", "/v1/agents/b")).at("streams").as_int64() == 1; }));
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(daemon_->stop(), 0);
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_GE(took, std::chrono::milliseconds(900));  // waited for the deadline
  EXPECT_LT(took, std::chrono::seconds(8));
  EXPECT_NE(daemon_->log().find("shutdown deadline passed"), std::string::npos);
}

// A raw connection to the API, for requests the HTTP client would not send.
class RawConnection {
 public:
  explicit RawConnection(std::uint16_t port) : sock_(ioc_) {
    sock_.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    timeval tv{10, 0};  // no read waits longer than this
    ::setsockopt(sock_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  void write(const std::string& bytes) { asio::write(sock_, asio::buffer(bytes)); }
  // Everything until the daemon closes the connection, or what came before
  // the read timeout; `closed` says which.
  std::string read_until_closed(bool& closed) {
    std::string out;
    std::array<char, 4096> buf;
    for (;;) {
      boost::system::error_code ec;
      const auto n = sock_.read_some(asio::buffer(buf), ec);
      out.append(buf.data(), n);
      if (ec) {
        closed = ec == asio::error::eof || ec == asio::error::connection_reset;
        return out;
      }
    }
  }

 private:
  asio::io_context ioc_;
  asio::ip::tcp::socket sock_;
};

TEST_F(LifecycleTest, AnUnfinishedRequestHeaderIsClosedWithinTheHeaderTimeout) {
  ASSERT_EQ(restart_with_config("[api]\nheader_timeout_s = 1\n"), 0);
  RawConnection idle(daemon_->port());  // connected, sends nothing yet
  RawConnection slow(daemon_->port());
  slow.write("GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n");  // never finished
  const auto start = std::chrono::steady_clock::now();
  bool closed = false;
  EXPECT_EQ(slow.read_until_closed(closed), "");  // closed without an answer...
  EXPECT_TRUE(closed);
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_GE(took, std::chrono::milliseconds(900));  // ...after the header timeout,
  EXPECT_LT(took, std::chrono::seconds(5));         // not the 60 s idle timeout
  // A connection idle before its first request is held to the idle timeout
  // only: past the header timeout it still serves a request.
  idle.write("GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  const auto answer = idle.read_until_closed(closed);
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 200")) << answer;
  EXPECT_NE(req("GET", "/metrics").body.find("agentmesh_http_header_timeouts_total 1\n"), std::string::npos);
}

TEST_F(LifecycleTest, SecondSignalExitsAtOnce) {
  create("b");
  fill_inbox("b", 12);
  StuckReader stuck(daemon_->port(), daemon_->admin_token());
  ASSERT_TRUE(eventually([&] { return js(req("GET", "/v1/agents/b")).at("streams").as_int64() == 1; }));
  ::kill(daemon_->pid(), SIGTERM);
  // The default 10 s deadline keeps it waiting for the stuck stream...
  EXPECT_FALSE(daemon_->wait_exit(std::chrono::milliseconds(500)));
  // ...until the second signal.
  ::kill(daemon_->pid(), SIGTERM);
  auto status = daemon_->wait_exit(std::chrono::seconds(3));
  ASSERT_TRUE(status);
  EXPECT_EQ(*status, 1);
}

TEST_F(LifecycleTest, RefusesADataDirWritableByOthers) {
  ASSERT_EQ(daemon_->stop(), 0);
  ::chmod(daemon_->data_dir().c_str(), 0777);
  EXPECT_THROW(daemon_->start(), std::runtime_error);
  const auto log = daemon_->log();
  EXPECT_NE(log.find("chmod 700 " + daemon_->data_dir().string()), std::string::npos) << log;
  ::chmod(daemon_->data_dir().c_str(), 0700);
  daemon_->start();
}

TEST_F(LifecycleTest, RefusesADataDirReadableByOthers) {
  ASSERT_EQ(daemon_->stop(), 0);
  ::chmod(daemon_->data_dir().c_str(), 0755);
  EXPECT_THROW(daemon_->start(), std::runtime_error);
  const auto log = daemon_->log();
  EXPECT_NE(log.find("readable by group or others"), std::string::npos) << log;
  EXPECT_NE(log.find("chmod 700 " + daemon_->data_dir().string()), std::string::npos) << log;
  ::chmod(daemon_->data_dir().c_str(), 0700);
  daemon_->start();
}

// Started under umask 000, the daemon still creates nothing others can read:
// it sets its own umask before creating anything. Every file (the database,
// its WAL and shared memory, keys, tokens, the port file, the lock) is 0600
// and every directory 0700, while it runs and after it stops.
TEST_F(LifecycleTest, EveryFileIsPrivateEvenUnderAPermissiveUmask) {
  ASSERT_EQ(daemon_->stop(), 0);
  std::filesystem::remove_all(daemon_->data_dir());
  const mode_t old = ::umask(0);
  daemon_->start();
  ::umask(old);
  create("alice");
  for (int i = 0; i < 3; ++i) ASSERT_EQ(send("alice", "alice", "private").status, 202);
  auto check = [&](const char* when) {
    std::size_t files = 0;
    for (const auto& e : std::filesystem::recursive_directory_iterator(daemon_->data_dir())) {
      const auto perms = e.status().permissions();
      const auto mode = static_cast<unsigned>(perms & std::filesystem::perms::all);
      if (e.is_directory()) {
        EXPECT_EQ(mode, 0700u) << when << ": " << e.path();
      } else {
        ++files;
        EXPECT_EQ(mode & 0077u, 0u) << when << ": " << e.path() << " is " << std::oct << mode;
      }
    }
    return files;
  };
  EXPECT_GE(check("running"), 8u);  // db, -wal, -shm, node.key, api-token, api.port, daemon.lock, an agent key
  EXPECT_TRUE(std::filesystem::exists(daemon_->data_dir() / "agentmesh.db-wal"));
  ASSERT_EQ(daemon_->stop(), 0);
  check("stopped");
  daemon_->start();
}

TEST_F(LifecycleTest, ADatabaseLeftReadableIsTightenedAtStart) {
  create("alice");
  ASSERT_EQ(daemon_->stop(), 0);
  const auto db = daemon_->data_dir() / "agentmesh.db";
  ::chmod(db.c_str(), 0644);
  daemon_->start();
  EXPECT_EQ(std::filesystem::status(db).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  EXPECT_NE(daemon_->log().find("was mode 644, readable by others; changed to 0600"), std::string::npos)
      << daemon_->log();
  EXPECT_EQ(js(req("GET", "/v1/agents/alice")).at("name").as_string(), "alice");  // nothing else changed
}

TEST_F(LifecycleTest, RefusesAKeyFileReadableByOthers) {
  auto a = create("a");
  ASSERT_EQ(daemon_->stop(), 0);
  const auto key = daemon_->data_dir() / "agents" / (a.id + ".key");
  ::chmod(key.c_str(), 0644);
  EXPECT_THROW(daemon_->start(), std::runtime_error);
  EXPECT_NE(daemon_->log().find("chmod 600 " + key.string()), std::string::npos);
  ::chmod(key.c_str(), 0600);
  const auto node_key = daemon_->data_dir() / "node.key";
  ::chmod(node_key.c_str(), 0640);
  EXPECT_THROW(daemon_->start(), std::runtime_error);
  EXPECT_NE(daemon_->log().find("chmod 600 " + node_key.string()), std::string::npos);
  ::chmod(node_key.c_str(), 0600);
  daemon_->start();
}

TEST(LifecycleStandaloneTest, RefusesANonLoopbackApiAddress) {
  TempDir dir;
  auto r = run_cli({"daemon", "--data-dir", (dir.path() / "d").string(), "--api", "0.0.0.0:0"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("loopback"), std::string::npos) << r.err;
}

TEST(LifecycleStandaloneTest, NamedInstancesAreIndependent) {
  TempDir home;
  // --name instances live under XDG_DATA_HOME and pick their own ports.
  ::setenv("XDG_DATA_HOME", home.path().c_str(), 1);
  Daemon one(home.path() / "agentmesh-one");
  Daemon two(home.path() / "agentmesh-two");
  one.start();
  two.start();
  EXPECT_NE(one.port(), two.port());
  auto r = run_cli({"agent", "create", "x", "--name", "one"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(run_cli({"agent", "list", "--name", "two", "--json"}).out, "{\"agents\":[]}\n");
  EXPECT_NE(run_cli({"agent", "list", "--name", "one"}).out.find("x"), std::string::npos);
  ::unsetenv("XDG_DATA_HOME");
}

}  // namespace
}  // namespace agentmesh::testutil
