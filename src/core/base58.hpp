#pragma once
// base58btc (the Bitcoin alphabet), used for PeerIds (`12D3KooW...`), and
// lowercase RFC 4648 base32 without padding (multibase `b`), used by the
// CIDv1 text form of PeerIds. Decoders reject every character outside their
// alphabet; base58 keeps leading zero bytes as leading '1's.

#include <string>
#include <string_view>

#include "core/result.hpp"

namespace agentmesh::core {

std::string base58_encode(std::string_view bytes);
Result<std::string> base58_decode(std::string_view text);

std::string base32_encode(std::string_view bytes);  // lowercase, no padding
Result<std::string> base32_decode(std::string_view text);

}  // namespace agentmesh::core
