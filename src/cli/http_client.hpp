#pragma once
// A small blocking HTTP/1.1 client for the CLI (and the integration tests):
// one request per call over a fresh connection to the local API, or, with
// keep_alive, over one connection reused until an error or the server closes
// it (then the next request opens another); plus a streaming read for SSE.
// Beast stays inside http_client.cpp. Copies share a kept-alive connection:
// use one client per thread.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace agentmesh::cli {

struct HttpResponse {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
};

class HttpClient {
 public:
  HttpClient(std::string host, std::uint16_t port, std::string token = {}, bool keep_alive = false);

  const std::string& host() const { return host_; }
  std::uint16_t port() const { return port_; }

  Result<HttpResponse> request(std::string_view method, std::string_view target, std::string_view body = {},
                               std::string_view content_type = "application/json",
                               const std::map<std::string, std::string>& extra_headers = {});

  // GET `target` and feed the body to `on_data` as it arrives, until the
  // server closes the connection or on_data returns false. The response
  // status is returned; a non-2xx body is returned in `error_body`. With
  // `on_idle`, it is called whenever `idle_tick` passes without bytes (and
  // stops the stream by returning false): the caller's deadlines and
  // cancellation.
  Result<int> stream(std::string_view target, const std::map<std::string, std::string>& extra_headers,
                     const std::function<bool(std::string_view)>& on_data, std::string& error_body,
                     const std::function<bool()>& on_idle = {},
                     std::chrono::milliseconds idle_tick = std::chrono::milliseconds(1000));

 private:
  struct Connection;
  Result<HttpResponse> exchange(Connection& c, std::string_view method, std::string_view target, std::string_view body,
                                std::string_view content_type, const std::map<std::string, std::string>& extra_headers);

  std::string host_;
  std::uint16_t port_;
  std::string token_;
  bool keep_alive_ = false;
  std::shared_ptr<Connection> kept_;  // keep_alive: the open connection, if any
};

}  // namespace agentmesh::cli
