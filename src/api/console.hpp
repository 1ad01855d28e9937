#pragma once
// api/console: the web console's side of the local API (docs/api.md, "The
// web console"; docs/security.md).
//
//   GET    /ui/ and /ui/<asset>   the console's files, compiled into the
//                                 binary (api/console_assets.hpp)
//   POST   /ui/session {"code"}   a one-time code -> the session cookie and
//                                 {"csrf"}
//   GET    /ui/session            the live session's {"csrf"} (after a reload)
//   DELETE /ui/session            logout (needs X-CSRF-Token)
//
// Every other request the console makes goes to the /v1 routes with the
// session cookie instead of a bearer token; the Router treats a live session
// as the admin token and refuses its state-changing requests without the
// session's CSRF token or from another origin (console_principal()).
//
// Every /ui response carries a strict Content-Security-Policy (no inline
// script or style, nothing from other origins), X-Frame-Options DENY,
// nosniff and no-referrer.
//
// Threading: the API's executor.

#include <string>
#include <string_view>

#include "api/console_auth.hpp"
#include "api/http_types.hpp"
#include "core/result.hpp"

namespace agentmesh::api {

// The answer to a /ui request.
Response console_response(const Request& req, ConsoleAuth& auth);

// A /v1 request carrying no bearer token but a session cookie: ok (the
// session is live and, for a method other than GET or HEAD, X-CSRF-Token
// matches and any Origin is this Host's); unauthorized without a live
// session; csrf_failed otherwise.
Result<void> console_principal(const Request& req, ConsoleAuth& auth);

}  // namespace agentmesh::api
