#pragma once
// A push notification webhook for the A2A gateway's tests: bound on
// 127.0.0.1 at once, so connections are refused until listen(); then it
// answers every POST 204 and keeps its body. With a Responder it answers
// what that returns instead (a scripted HTTP server: the outbound client's
// tests use it as an A2A agent). With `tls`, it speaks HTTPS with
// the test certificate in tests/data (self-signed for 127.0.0.1 and
// localhost; the daemon trusts it only through [a2a] webhook_ca_file).

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace agentmesh::testutil {

inline std::string test_cert() { return AGENTMESH_TEST_DATA_DIR "/test-cert.pem"; }

class WebhookSink {
 public:
  // (request line, body) -> (content type, body) of a 200 answer.
  using Responder = std::function<std::pair<std::string, std::string>(const std::string&, const std::string&)>;

  explicit WebhookSink(bool tls = false, Responder respond = {})
      : fd_(::socket(AF_INET, SOCK_STREAM, 0)), respond_(std::move(respond)) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
      ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
      port_ = ntohs(a.sin_port);
    }
    if (tls) {
      ctx_ = SSL_CTX_new(TLS_server_method());
      EXPECT_EQ(SSL_CTX_use_certificate_file(ctx_, test_cert().c_str(), SSL_FILETYPE_PEM), 1);
      EXPECT_EQ(SSL_CTX_use_PrivateKey_file(ctx_, AGENTMESH_TEST_DATA_DIR "/test-key.pem", SSL_FILETYPE_PEM), 1);
    }
  }
  ~WebhookSink() {
    ::shutdown(fd_, SHUT_RDWR);  // ends accept()
    if (thread_.joinable()) thread_.join();
    ::close(fd_);
    if (ctx_) SSL_CTX_free(ctx_);
  }
  WebhookSink(const WebhookSink&) = delete;
  WebhookSink& operator=(const WebhookSink&) = delete;

  void listen() {
    ASSERT_EQ(::listen(fd_, 16), 0);
    thread_ = std::thread([this] { serve(); });
  }
  std::string base() const { return (ctx_ ? "https" : "http") + std::string("://127.0.0.1:") + std::to_string(port_); }
  std::string url() const {
    return (ctx_ ? "https" : "http") + std::string("://127.0.0.1:") + std::to_string(port_) + "/hook";
  }
  std::vector<std::string> bodies() {
    std::lock_guard lock(mu_);
    return bodies_;
  }
  // TLS handshakes that failed (the client refused the certificate).
  int failed_handshakes() const { return failed_handshakes_; }

 private:
  void serve() {
    for (;;) {
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      SSL* ssl = nullptr;
      if (ctx_) {
        ssl = SSL_new(ctx_);
        SSL_set_fd(ssl, c);
        if (SSL_accept(ssl) != 1) {
          ++failed_handshakes_;
          SSL_free(ssl);
          ::close(c);
          continue;
        }
      }
      auto read_some = [&](char* buf, int n) {
        return ssl ? SSL_read(ssl, buf, n) : static_cast<int>(::read(c, buf, n));
      };
      std::string in;
      char buf[4096];
      std::size_t need = std::string::npos;
      while (need == std::string::npos || in.size() < need) {
        const int n = read_some(buf, sizeof buf);
        if (n <= 0) break;
        in.append(buf, static_cast<std::size_t>(n));
        const auto end = in.find("\r\n\r\n");
        const auto cl = in.find("Content-Length: ");
        if (need == std::string::npos && end != std::string::npos) {
          need = end + 4 + (cl != std::string::npos && cl < end ? std::stoul(in.substr(cl + 16)) : 0);
        }
      }
      std::string ok = "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
      if (need != std::string::npos && in.size() >= need) {
        const auto body = in.substr(in.find("\r\n\r\n") + 4);
        {
          std::lock_guard lock(mu_);
          bodies_.push_back(body);
        }
        if (respond_) {
          auto [type, answer] = respond_(in.substr(0, in.find("\r\n")), body);
          ok = "HTTP/1.1 200 OK\r\nContent-Type: " + type + "\r\nContent-Length: " + std::to_string(answer.size()) +
               "\r\nConnection: close\r\n\r\n" + answer;
        }
      }
      if (ssl) {
        SSL_write(ssl, ok.data(), static_cast<int>(ok.size()));
        SSL_shutdown(ssl);
        SSL_free(ssl);
      } else {
        (void)!::write(c, ok.data(), ok.size());
      }
      ::close(c);
    }
  }

  int fd_;
  Responder respond_;
  std::uint16_t port_ = 0;
  SSL_CTX* ctx_ = nullptr;
  std::thread thread_;
  std::mutex mu_;
  std::vector<std::string> bodies_;
  std::atomic<int> failed_handshakes_{0};
};

}  // namespace agentmesh::testutil
