// api/a2a_credentials: the outbound A2A client's named credentials.

#include "api/a2a_credentials.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>

#include "core/fs.hpp"

namespace agentmesh::api {
namespace json = boost::json;

namespace {

bool good_name(const std::string& n) {
  return !n.empty() && n.size() <= 64 && std::all_of(n.begin(), n.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '.' || c == '_' || c == '-';
  });
}

// A bearer token goes into an Authorization header: printable ASCII, no spaces.
bool good_secret(const std::string& s) {
  return !s.empty() && s.size() <= 4096 &&
         std::all_of(s.begin(), s.end(), [](unsigned char c) { return c > 0x20 && c < 0x7f; });
}

Result<void> invalid(std::string& why, std::string text) {
  why = std::move(text);
  return make_error_code(boost::system::errc::invalid_argument);
}

}  // namespace

Result<void> A2aCredentials::load(std::string& why) {
  if (file_.empty()) return {};
  std::error_code exists_ec;
  if (!std::filesystem::exists(file_, exists_ec)) return {};
  if (auto msg = core::check_file_private(file_); !msg.empty()) {
    return invalid(why, msg);
  }
  auto text = core::read_small_file(file_, 8u << 20);
  if (!text) {
    why = fmt::format("cannot read {}: {}", file_.string(), text.error().message());
    return text.error();
  }
  boost::system::error_code ec;
  auto v = json::parse(*text, ec);
  const auto* list = !ec && v.is_object() ? v.get_object().if_contains("credentials") : nullptr;
  if (!list || !list->is_array()) return invalid(why, fmt::format("{} is not a credentials file", file_.string()));
  for (const auto& item : list->get_array()) {
    const auto* o = item.if_object();
    const auto* name = o ? o->if_contains("name") : nullptr;
    const auto* secret = o ? o->if_contains("secret") : nullptr;
    const auto* created = o ? o->if_contains("created_ms") : nullptr;
    if (!name || !name->is_string() || !secret || !secret->is_string() || !created || !created->is_int64()) {
      return invalid(why, fmt::format("{} has a damaged entry", file_.string()));
    }
    A2aCredential c{std::string(name->get_string()), "bearer", std::string(secret->get_string()), created->get_int64()};
    if (!good_name(c.name) || !good_secret(c.secret)) {
      return invalid(why, fmt::format("{} has a damaged entry", file_.string()));
    }
    by_name_[c.name] = std::move(c);
  }
  return {};
}

Result<void> A2aCredentials::put(A2aCredential c, std::string& why) {
  if (!good_name(c.name)) return invalid(why, "a credential's name is 1-64 characters of A-Z a-z 0-9 . _ -");
  if (c.scheme != "bearer") return invalid(why, "the only credential scheme is bearer");
  if (!good_secret(c.secret)) return invalid(why, "a bearer token is 1-4096 printable ASCII characters, no spaces");
  if (!by_name_.contains(c.name) && by_name_.size() >= kMaxCredentials) {
    return invalid(why, fmt::format("there are already {} credentials", kMaxCredentials));
  }
  auto before = by_name_;
  by_name_[c.name] = std::move(c);
  if (auto r = save(why); !r) {
    by_name_ = std::move(before);
    return r;
  }
  return {};
}

Result<bool> A2aCredentials::remove(const std::string& name, std::string& why) {
  auto it = by_name_.find(name);
  if (it == by_name_.end()) return false;
  auto gone = std::move(it->second);
  by_name_.erase(it);
  if (auto r = save(why); !r) {
    by_name_[name] = std::move(gone);
    return Result<bool>(boost::system::in_place_error, r.error());
  }
  return true;
}

std::optional<A2aCredential> A2aCredentials::find(const std::string& name) const {
  auto it = by_name_.find(name);
  if (it == by_name_.end()) return std::nullopt;
  return it->second;
}

std::vector<A2aCredential> A2aCredentials::list() const {
  std::vector<A2aCredential> out;
  for (const auto& [name, c] : by_name_) out.push_back(c);
  return out;
}

Result<void> A2aCredentials::save(std::string& why) const {
  if (file_.empty()) return {};
  json::array arr;
  for (const auto& [name, c] : by_name_) {
    arr.push_back(
        json::object{{"name", c.name}, {"scheme", c.scheme}, {"secret", c.secret}, {"created_ms", c.created_ms}});
  }
  if (auto r = core::write_file_atomic(file_, json::serialize(json::object{{"credentials", std::move(arr)}}), 0600);
      !r) {
    why = fmt::format("cannot write {}: {}", file_.string(), r.error().message());
    return r.error();
  }
  return {};
}

}  // namespace agentmesh::api
