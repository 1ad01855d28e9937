#pragma once
// The one table that maps every error_code the API can see to an HTTP status,
// a stable error string and the `retryable` flag. Clients branch on the
// string; it never changes once shipped. docs/api.md lists them all.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"

namespace agentmesh::api {

struct ErrorInfo {
  int status;
  std::string_view code;
  bool retryable;
};

ErrorInfo lookup_error(const error_code& ec);

// Every code the table knows, with its entry (for tests and docs/api.md).
std::vector<std::pair<error_code, ErrorInfo>> error_table_entries();

// {"error": code, "message": message, "retryable": bool}; `message` defaults
// to ec.message().
std::string error_body(const error_code& ec, std::string_view message = {});

}  // namespace agentmesh::api
