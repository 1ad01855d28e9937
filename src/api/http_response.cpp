#include "api/http_response.hpp"

#include <boost/beast/core/buffers_range.hpp>
#include <boost/beast/http/serializer.hpp>

namespace agentmesh::api {

namespace beast = boost::beast;
namespace http = beast::http;

http::response<http::string_body> to_beast(const Response& r, unsigned version, bool keep_alive) {
  http::response<http::string_body> res{static_cast<http::status>(r.status), version};
  res.set(http::field::server, "agentmesh/" AGENTMESH_VERSION);
  res.set(http::field::content_type, r.content_type);
  res.set(http::field::cache_control, "no-store");
  for (const auto& [k, v] : r.headers) res.set(k, v);
  res.body() = r.body;
  res.keep_alive(keep_alive);
  res.prepare_payload();
  return res;
}

void append_response(std::string& out, const Response& r, unsigned version, bool keep_alive) {
  auto res = to_beast(r, version, keep_alive);
  http::serializer<false, http::string_body> sr(res);
  beast::error_code ec;
  while (!ec && !sr.is_done()) {
    sr.next(ec, [&](beast::error_code& next_ec, const auto& buffers) {
      next_ec = {};
      std::size_t n = 0;
      for (const auto b : beast::buffers_range_ref(buffers)) {
        out.append(static_cast<const char*>(b.data()), b.size());
        n += b.size();
      }
      sr.consume(n);
    });
  }
}

}  // namespace agentmesh::api
