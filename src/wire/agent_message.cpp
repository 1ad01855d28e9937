#include "wire/agent_message.hpp"

#include <optional>
#include <string_view>

#include "agent_message.pb.h"
#include "wire/error.hpp"
#include "wire/protobuf_reader.hpp"

namespace agentmesh::wire::agent_message {

std::string encode(const Payload& p) {
  pb::AgentPayload m;
  m.set_version(kVersion);
  m.set_agent(std::string(p.agent.begin(), p.agent.end()));
  m.set_content_type(p.content_type);
  m.set_body(p.body);
  auto* b = m.mutable_binding();
  b->set_peer(p.binding.peer);
  b->set_expires_ms(p.binding.expires_ms);
  b->set_signature(p.binding.signature);
  return m.SerializeAsString();
}

namespace {

// AgentBinding: peer (1), expires_ms (2, varint), signature (3). Called once
// per occurrence of the binding field: protobuf merges repeats, the last
// value of each field winning, which is what assigning does.
bool read_binding(std::string_view bytes, std::optional<std::string_view>& peer,
                  std::optional<std::uint64_t>& expires_ms, std::string_view& signature) {
  ProtobufReader r(bytes);
  while (r.next()) {
    const bool ld = r.wire_type() == ProtobufReader::kLengthDelimited;
    std::string_view v;
    if (r.field() == 1 && ld) {
      if (!r.read_bytes(v)) return false;
      peer = v;
    } else if (r.field() == 2 && r.wire_type() == ProtobufReader::kVarint) {
      std::uint64_t e = 0;
      if (!r.read_varint(e)) return false;
      expires_ms = e;
    } else if (r.field() == 3 && ld) {
      if (!r.read_bytes(v)) return false;
      signature = v;
    } else if (!r.skip()) {
      return false;
    }
  }
  return !r.failed();
}

}  // namespace

// By hand (ProtobufReader; every subscriber decodes every payload it
// delivers): what protobuf's parser accepts, then the checks below.
Result<Payload> decode(std::span<const std::uint8_t> bytes) {
  std::optional<std::uint32_t> version;
  std::optional<std::string_view> agent, content_type, body, peer;
  std::optional<std::uint64_t> expires_ms;
  std::string_view signature;
  bool has_binding = false;
  ProtobufReader r(bytes);
  while (r.next()) {
    const bool ld = r.wire_type() == ProtobufReader::kLengthDelimited;
    std::string_view v;
    if (r.field() == 1 && r.wire_type() == ProtobufReader::kVarint) {
      std::uint64_t x = 0;
      if (!r.read_varint(x)) return error::bad_protobuf;
      version = static_cast<std::uint32_t>(x);  // uint32: protobuf keeps the low 32 bits
    } else if (r.field() >= 2 && r.field() <= 5 && ld) {
      if (!r.read_bytes(v)) return error::bad_protobuf;
      switch (r.field()) {
        case 2: agent = v; break;
        case 3: content_type = v; break;
        case 4: body = v; break;
        default:
          has_binding = true;
          if (!read_binding(v, peer, expires_ms, signature)) return error::bad_protobuf;
      }
    } else if (!r.skip()) {
      return error::bad_protobuf;
    }
  }
  if (r.failed()) return error::bad_protobuf;
  if (version != kVersion || !agent || agent->size() != 32 || !body || !has_binding || !peer || !expires_ms ||
      signature.size() != 64) {
    return error::bad_protobuf;
  }
  Payload p;
  std::copy(agent->begin(), agent->end(), p.agent.begin());
  p.content_type = content_type.value_or(std::string_view());
  p.body = *body;
  p.binding.peer = *peer;
  p.binding.expires_ms = *expires_ms;
  p.binding.signature = signature;
  return p;
}

std::string binding_bytes(const std::string& peer, std::uint64_t expires_ms) {
  std::string out(kBindingPrefix);
  out += peer;
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>(expires_ms >> (8 * i)));
  return out;
}

}  // namespace agentmesh::wire::agent_message
