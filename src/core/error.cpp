#include "core/error.hpp"

#include "core/condition.hpp"

#include <string>

namespace agentmesh::core {
namespace {

class Category final : public boost::system::error_category {
 public:
  bool equivalent(int code, const boost::system::error_condition& cond) const noexcept override {
    const auto e = static_cast<error>(code);
    switch (static_cast<core::condition>(core::condition_of(cond))) {
      case core::condition::invalid_input:
        return e == error::invalid_hex || e == error::invalid_length || e == error::invalid_name || e == error::out_of_range || e == error::invalid_varint || e == error::invalid_base_encoding || e == error::invalid_multihash || e == error::unsupported_key_type || e == error::invalid_multiaddr;
      default:
        break;
    }
    return boost::system::error_category::equivalent(code, cond);
  }
  const char* name() const noexcept override { return "agentmesh.core"; }
  std::string message(int ev) const override {
    switch (static_cast<error>(ev)) {
      case error::invalid_hex: return "not lowercase hexadecimal of the expected length";
      case error::invalid_length: return "wrong length";
      case error::invalid_name: return "invalid name";
      case error::out_of_range: return "value out of range";
      case error::invalid_varint: return "invalid varint (truncated, too long or not minimal)";
      case error::invalid_base_encoding: return "invalid base58btc or base32 text";
      case error::invalid_multihash: return "invalid or unsupported multihash";
      case error::unsupported_key_type: return "unsupported key type: only Ed25519 peer ids are accepted";
      case error::invalid_multiaddr: return "invalid or unsupported multiaddr";
    }
    return "unknown core error";
  }
};

}  // namespace

const boost::system::error_category& error_category() noexcept {
  static const Category category;
  return category;
}

}  // namespace agentmesh::core
