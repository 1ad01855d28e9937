#include "bench_util.hpp"

#include <boost/json/parse.hpp>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace agentmesh::bench {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
}

struct Conn::Impl {
  asio::io_context ioc;
  beast::tcp_stream stream{ioc};
  beast::flat_buffer buf;
  std::string token;

  http::request<http::string_body> make(http::verb method, const std::string& target, const std::string& body) {
    http::request<http::string_body> req{method, target, 11};
    req.set(http::field::host, "127.0.0.1");
    req.set(http::field::authorization, "Bearer " + token);
    req.set(http::field::content_type, "application/json");
    req.body() = body;
    req.prepare_payload();
    return req;
  }
};

Conn::Conn(std::uint16_t port, std::string token) : impl_(std::make_unique<Impl>()) {
  impl_->token = std::move(token);
  impl_->stream.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  impl_->stream.socket().set_option(asio::ip::tcp::no_delay(true));
}

Conn::~Conn() = default;

int Conn::pipeline(const std::string& target, const std::string& body, int depth, int ok_status) {
  return pipeline(target, std::vector<std::string>(static_cast<std::size_t>(depth), body), ok_status);
}

int Conn::pipeline(const std::string& target, const std::vector<std::string>& bodies, int ok_status) {
  // All requests in one write (one system call), like a client that queues
  // its requests; then the responses in order.
  std::ostringstream out;
  for (const auto& body : bodies) out << impl_->make(http::verb::post, target, body);
  const auto wire = out.str();
  asio::write(impl_->stream, asio::buffer(wire));
  int ok = 0;
  for (std::size_t i = 0; i < bodies.size(); ++i) {
    http::response<http::string_body> res;
    http::read(impl_->stream, impl_->buf, res);
    ok += static_cast<int>(res.result_int()) == ok_status;
  }
  return ok;
}

int Conn::request(const std::string& method, const std::string& target, const std::string& body, std::string* out) {
  http::write(impl_->stream, impl_->make(http::string_to_verb(method), target, body));
  http::response<http::string_body> res;
  http::read(impl_->stream, impl_->buf, res);
  if (out) *out = std::move(res.body());
  return static_cast<int>(res.result_int());
}

DaemonProcess::DaemonProcess(const std::string& binary, const std::filesystem::path& dir,
                             const std::vector<std::string>& extra) {
  std::filesystem::create_directories(dir);
  std::filesystem::permissions(dir, std::filesystem::perms::owner_all);
  std::vector<std::string> args = {binary,      "daemon", "--data-dir",  dir.string(), "--api",
                                   "127.0.0.1:0", "--listen", "/ip4/127.0.0.1/tcp/0", "--log-level", "warn"};
  args.insert(args.end(), extra.begin(), extra.end());
  pid_ = ::fork();
  if (pid_ == 0) {
    const int devnull = ::open("/dev/null", O_RDWR);
    ::dup2(devnull, 0);
    ::dup2(devnull, 1);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(binary.c_str(), argv.data());
    ::_exit(127);
  }
  const auto deadline = Clock::now() + std::chrono::seconds(20);
  while (!std::filesystem::exists(dir / "api.port")) {
    if (Clock::now() > deadline) throw std::runtime_error("daemon did not start: " + dir.string());
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const auto line = read_first_line(dir / "api.port");
  port_ = static_cast<std::uint16_t>(std::stoi(line.substr(line.rfind(':') + 1)));
  token_ = read_first_line(dir / "api-token");
}

int DaemonProcess::stop() {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

DaemonProcess::~DaemonProcess() { stop(); }

TempDir::TempDir(const std::string& prefix)
    : path_(std::filesystem::temp_directory_path() / (prefix + "-" + std::to_string(::getpid()))) {
  std::filesystem::remove_all(path_);
  std::filesystem::create_directories(path_);
  std::filesystem::permissions(path_, std::filesystem::perms::owner_all);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string read_first_line(const std::filesystem::path& p) {
  std::ifstream f(p);
  std::string s;
  std::getline(f, s);
  return s;
}

long rss_kb(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

double cpu_seconds(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(f)), {});
  std::istringstream rest(stat.substr(stat.rfind(')') + 2));
  std::string field;
  double utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stod(field);
    if (i == 15) stime = std::stod(field);
  }
  return (utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

namespace {
double quantile_of_sorted(const std::vector<double>& v, double q) {
  return v[std::min(v.size() - 1, static_cast<std::size_t>(q * static_cast<double>(v.size())))];
}
}  // namespace

double percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return quantile_of_sorted(v, q);
}

Distribution distribution(std::vector<double> v) {
  Distribution d;
  d.samples = v.size();
  if (v.empty()) return d;
  std::sort(v.begin(), v.end());
  d.p50 = quantile_of_sorted(v, 0.5);
  d.p90 = quantile_of_sorted(v, 0.9);
  d.p99 = quantile_of_sorted(v, 0.99);
  d.p999 = quantile_of_sorted(v, 0.999);
  d.max = v.back();
  return d;
}

void print_distribution(const std::string& key, const Distribution& d, const char* unit) {
  std::printf("%s_samples=%zu\n", key.c_str(), d.samples);
  const std::pair<const char*, double> rows[] = {{"p50", d.p50}, {"p90", d.p90}, {"p99", d.p99},
                                                 {"p999", d.p999}, {"max", d.max}};
  for (const auto& [name, v] : rows) std::printf("%s_%s_%s=%.4f\n", key.c_str(), name, unit, v);
}

boost::json::value get_json(Conn& c, const std::string& target) {
  std::string body;
  if (c.request("GET", target, "", &body) != 200) return nullptr;
  boost::system::error_code ec;
  auto v = boost::json::parse(body, ec);
  return ec ? boost::json::value() : v;
}

StoreTimes store_times(Conn& c) {
  std::string text;
  c.request("GET", "/metrics", "", &text);
  StoreTimes t;
  auto value = [&](const std::string& prefix) {
    const auto pos = text.find("\n" + prefix + " ");
    return pos == std::string::npos ? 0.0 : std::stod(text.substr(pos + prefix.size() + 2));
  };
  t.dwell_sum_s = value("agentmesh_queue_dwell_seconds_sum{queue=\"store_writer\"}");
  t.dwell_count = value("agentmesh_queue_dwell_seconds_count{queue=\"store_writer\"}");
  t.commit_sum_s = value("agentmesh_store_commit_latency_seconds_sum");
  t.commit_count = value("agentmesh_store_commit_latency_seconds_count");
  t.batch_sum = value("agentmesh_store_commit_batch_size_sum");
  t.wal_writes = value("agentmesh_store_wal_writes_total");
  t.wal_calls = value("agentmesh_store_wal_write_calls_total");
  return t;
}

// Means over the jobs and commits between `before` and `after`.
void print_store_breakdown(const char* side, const StoreTimes& before, const StoreTimes& after) {
  const double jobs = after.dwell_count - before.dwell_count, commits = after.commit_count - before.commit_count;
  std::printf("breakdown_%s_jobs=%.0f\nbreakdown_%s_commits=%.0f\n", side, jobs, side, commits);
  std::printf("breakdown_%s_writer_wait_ms=%.3f\n", side,
              jobs > 0 ? 1e3 * (after.dwell_sum_s - before.dwell_sum_s) / jobs : 0);
  std::printf("breakdown_%s_commit_ms=%.3f\n", side,
              commits > 0 ? 1e3 * (after.commit_sum_s - before.commit_sum_s) / commits : 0);
  std::printf("breakdown_%s_jobs_per_commit=%.2f\n", side,
              commits > 0 ? (after.batch_sum - before.batch_sum) / commits : 0);
  // A WAL frame is two writes (its header, its page); checkpoints write to the database file, not counted here.
  std::printf("breakdown_%s_wal_frames_per_commit=%.2f\n", side,
              commits > 0 ? (after.wal_writes - before.wal_writes) / 2 / commits : 0);
  std::printf("breakdown_%s_wal_write_calls_per_commit=%.2f\n", side,
              commits > 0 ? (after.wal_calls - before.wal_calls) / commits : 0);
}

bool wait_until(const std::function<bool()>& pred, std::chrono::seconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

int connect_loopback(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

}  // namespace agentmesh::bench
