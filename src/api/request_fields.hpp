#pragma once
// api/request_fields: the typed field reader the request parsers share
// (api/requests.cpp, api/requests_tasks.cpp). Internal to api/.

#include <fmt/format.h>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/error.hpp"
#include "core/result.hpp"
#include "store/records.hpp"

namespace agentmesh::api::request_detail {

namespace json = boost::json;

inline constexpr std::size_t kMaxMetadataEntries = 64;
inline constexpr std::size_t kMaxMetadataKey = 128;
// "wait": "ack" without timeout_ms waits this long; timeout_ms may ask for up to kMaxWaitMs.
inline constexpr std::int64_t kDefaultWaitMs = 10'000;
inline constexpr std::uint64_t kMaxWaitMs = 60'000;
inline constexpr std::size_t kMaxMetadataValue = 4096;

// Reads typed fields from one object and rejects the ones no route knows.
class Fields {
 public:
  Fields(const json::object& o, std::string& why) : o_(o), why_(why) {}

  Result<void> only(std::initializer_list<std::string_view> allowed) {
    for (const auto& kv : o_) {
      bool known = false;
      for (auto a : allowed) known = known || kv.key() == a;
      if (!known) {
        why_ = fmt::format("unknown field \"{}\"", std::string_view(kv.key()));
        return error::unknown_field;
      }
    }
    return {};
  }

  const json::value* get(std::string_view key) const { return o_.if_contains(key); }

  // A string field of at most max_len bytes; absent -> nullopt.
  Result<std::optional<std::string>> string(std::string_view key, std::size_t max_len) {
    const auto* v = get(key);
    if (!v) return std::optional<std::string>{};
    if (!v->is_string()) return bad(key, "must be a string");
    const auto& s = v->get_string();
    if (s.size() > max_len) return bad(key, fmt::format("must be at most {} bytes", max_len));
    return std::optional<std::string>{std::string(s)};
  }

  Result<std::string> required_string(std::string_view key, std::size_t max_len) {
    auto s = string(key, max_len);
    if (!s) return s.error();
    if (!*s) {
      why_ = fmt::format("field \"{}\" is required", key);
      return error::missing_field;
    }
    return std::move(**s);
  }

  // A non-negative integer that fits in 64 bits (no fractions, no exponents).
  Result<std::optional<std::uint64_t>> unsigned_int(std::string_view key) {
    const auto* v = get(key);
    if (!v) return std::optional<std::uint64_t>{};
    if (v->is_uint64()) return std::optional<std::uint64_t>{v->get_uint64()};
    if (v->is_int64() && v->get_int64() >= 0) {
      return std::optional<std::uint64_t>{static_cast<std::uint64_t>(v->get_int64())};
    }
    return bad(key, "must be a non-negative integer below 2^64");
  }

  Result<std::optional<bool>> boolean(std::string_view key) {
    const auto* v = get(key);
    if (!v) return std::optional<bool>{};
    if (!v->is_bool())
      return Result<std::optional<bool>>(boost::system::in_place_error, bad(key, "must be true or false"));
    return std::optional<bool>{v->get_bool()};
  }

  Result<std::optional<std::vector<std::string>>> string_array(std::string_view key, std::size_t max_items,
                                                               std::size_t max_len) {
    const auto* v = get(key);
    if (!v) return std::optional<std::vector<std::string>>{};
    if (!v->is_array()) return bad(key, "must be an array of strings");
    const auto& a = v->get_array();
    if (a.size() > max_items) return bad(key, fmt::format("must have at most {} items", max_items));
    std::vector<std::string> out;
    for (const auto& item : a) {
      if (!item.is_string()) return bad(key, "must be an array of strings");
      if (item.get_string().size() > max_len) return bad(key, fmt::format("items must be at most {} bytes", max_len));
      out.emplace_back(item.get_string());
    }
    return std::optional<std::vector<std::string>>{std::move(out)};
  }

  Result<store::Metadata> metadata(std::string_view key) {
    store::Metadata out;
    const auto* v = get(key);
    if (!v) return out;
    if (!v->is_object()) return bad(key, "must be an object of string values");
    const auto& o = v->get_object();
    if (o.size() > kMaxMetadataEntries)
      return bad(key, fmt::format("must have at most {} entries", kMaxMetadataEntries));
    for (const auto& kv : o) {
      if (kv.key().empty() || kv.key().size() > kMaxMetadataKey) {
        return bad(key, fmt::format("keys must be 1-{} bytes", kMaxMetadataKey));
      }
      if (!kv.value().is_string()) return bad(key, "values must be strings");
      if (kv.value().get_string().size() > kMaxMetadataValue) {
        return bad(key, fmt::format("values must be at most {} bytes", kMaxMetadataValue));
      }
      out.emplace_back(std::string(kv.key()), std::string(kv.value().get_string()));
    }
    return out;
  }

  error_code bad(std::string_view key, std::string_view what) {
    why_ = fmt::format("field \"{}\" {}", key, what);
    return error::invalid_field;
  }

 private:
  const json::object& o_;
  std::string& why_;
};

inline bool printable_ascii(std::string_view s) {
  for (char c : s) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

}  // namespace agentmesh::api::request_detail
