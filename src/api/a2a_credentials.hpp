#pragma once
// api/a2a_credentials: the credentials the outbound A2A client presents to
// agents outside the mesh, named by the admin (`agentmesh a2a credential
// add NAME --bearer TOKEN`) and referenced by tasks
// (`{"to": "a2a:URL", "credential": "NAME"}`).
//
// Kept in <data dir>/a2a-credentials.json (mode 0600, replaced atomically
// on every change): the secrets must be sent as they are, so they are
// stored as they are, like the admin token (docs/security.md). The API
// never returns a secret. At most kMaxCredentials; names are 1-64
// characters of [A-Za-z0-9._-].
//
// Threading: the node's executor (the daemon's one thread); no locking.

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace agentmesh::api {

struct A2aCredential {
  std::string name;
  std::string scheme = "bearer";
  std::string secret;
  std::int64_t created_ms = 0;
};

class A2aCredentials {
 public:
  static constexpr std::size_t kMaxCredentials = 1024;

  // Empty path: kept in memory only (tests).
  explicit A2aCredentials(std::filesystem::path file) : file_(std::move(file)) {}

  // Reads the file (a missing file is an empty set).
  Result<void> load(std::string& why);
  // Adds or replaces; `why` on a bad name or secret, or a full set.
  Result<void> put(A2aCredential c, std::string& why);
  // False when there was none.
  Result<bool> remove(const std::string& name, std::string& why);
  std::optional<A2aCredential> find(const std::string& name) const;
  std::vector<A2aCredential> list() const;

 private:
  Result<void> save(std::string& why) const;

  std::filesystem::path file_;
  std::map<std::string, A2aCredential> by_name_;
};

}  // namespace agentmesh::api
