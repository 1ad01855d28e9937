#include "tasks/fingerprint.hpp"

#include <string>

#include "crypto/crypto.hpp"

namespace agentmesh::tasks {

namespace {

// Length-prefixed fields, so no two different requests share an encoding.
class Writer {
 public:
  explicit Writer(std::string_view domain) { field(domain); }
  Writer& field(std::string_view s) {
    number(s.size());
    out_.append(s);
    return *this;
  }
  Writer& number(std::uint64_t v) {
    for (int i = 0; i < 8; ++i) out_.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
    return *this;
  }
  Writer& parts(const std::vector<Part>& ps) {
    number(ps.size());
    for (const auto& p : ps) {
      number(static_cast<std::uint64_t>(p.kind));
      field(p.text).field(p.media_type).field(p.uri).field(p.name).number(p.size);
    }
    return *this;
  }
  Fingerprint done() const { return crypto::sha256(crypto::as_bytes(out_)); }

 private:
  std::string out_;
};

}  // namespace

Fingerprint fingerprint(const Command& c) {
  Writer w("agentmesh/task-action/v1");
  w.field(to_string(c.action)).field(c.task.to_string()).parts(c.parts);
  w.number(c.percent ? *c.percent + 1u : 0u);
  w.number(c.chunks.size());
  for (const auto& ch : c.chunks) w.field(ch.name).number(ch.index).number(ch.last ? 1 : 0).parts(ch.parts);
  w.field(c.reason);
  return w.done();
}

Fingerprint fingerprint(const CreateTerms& t) {
  Writer w("agentmesh/task-create/v1");
  w.field(t.target);
  w.parts(t.input ? *t.input : std::vector<Part>{});
  w.number(static_cast<std::uint64_t>(t.acceptance_timeout_ms)).number(static_cast<std::uint64_t>(t.deadline_ms));
  w.field(t.context_id);
  const auto& md = t.metadata ? *t.metadata : Metadata{};
  w.number(md.size());
  for (const auto& [k, v] : md) w.field(k).field(v);
  return w.done();
}

}  // namespace agentmesh::tasks
