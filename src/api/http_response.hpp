#pragma once
// The HTTP/1.1 form of a plain (non-stream) API Response: the headers every
// response carries (Server, Content-Type, Cache-Control: no-store,
// Content-Length, Connection), the route's own headers, the body.
//
// append_response() writes that text to a buffer, so a session can answer a
// run of pipelined requests with one write (one system call) instead of one
// per response.
//
// Threading: none (pure functions).

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <string>

#include "api/router.hpp"

namespace agentmesh::api {

boost::beast::http::response<boost::beast::http::string_body> to_beast(const Response& r, unsigned version,
                                                                       bool keep_alive);
// Appends the serialized response to `out`.
void append_response(std::string& out, const Response& r, unsigned version, bool keep_alive);

}  // namespace agentmesh::api
