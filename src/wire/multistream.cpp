#include "wire/multistream.hpp"

#include <algorithm>

#include "core/varint.hpp"
#include "wire/error.hpp"

namespace agentmesh::wire::multistream {

std::string encode(std::string_view text) {
  std::string out;
  core::append_uvarint(out, text.size() + 1);
  out.append(text);
  out.push_back('\n');
  return out;
}

void Reader::feed(std::span<const std::uint8_t> bytes) {
  buf_.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

Result<std::optional<std::string>> Reader::next() {
  const std::span<const std::uint8_t> b(reinterpret_cast<const std::uint8_t*>(buf_.data()), buf_.size());
  if (b.empty()) return std::optional<std::string>{};
  auto len = core::read_uvarint(b);
  if (!len) {
    // A truncated varint may still complete; anything else is malformed.
    if (b.size() < core::kMaxVarintBytes && (b.back() & 0x80) != 0) return std::optional<std::string>{};
    return error::bad_length;
  }
  if (len->value > kMaxMessage) return error::frame_too_large;
  if (len->value == 0) return error::bad_multistream_message;
  if (b.size() - len->size < len->value) return std::optional<std::string>{};
  std::string msg = buf_.substr(len->size, len->value);
  buf_.erase(0, len->size + len->value);
  if (msg.back() != '\n') return error::bad_multistream_message;
  msg.pop_back();
  return std::optional<std::string>{std::move(msg)};
}

std::string Reader::take_rest() { return std::exchange(buf_, {}); }

Result<std::optional<Negotiation::Message>> Negotiation::next() {
  auto msg = reader_.next();
  if (!msg) return msg.error();
  if (!*msg) return std::optional<Message>{};
  if (++messages_ > kMaxMessages) return error::negotiation_limit;
  if (header_seen_) return std::optional<Message>{Message{std::move(**msg), false}};
  if (**msg != kProtocolId) return error::bad_multistream_header;
  header_seen_ = true;
  return std::optional<Message>{Message{std::move(**msg), true}};
}

Dialer::Dialer(std::vector<std::string> protocols) : protocols_(std::move(protocols)) {}

std::string Dialer::start() {
  if (protocols_.empty()) return encode(kProtocolId);
  return encode(kProtocolId) + encode(protocols_[0]);
}

Result<Step> Dialer::on_data(std::span<const std::uint8_t> bytes) {
  negotiation_.feed(bytes);
  Step step;
  for (;;) {
    auto msg = negotiation_.next();
    if (!msg) return msg.error();
    if (!*msg) return step;
    if ((*msg)->header) continue;
    const std::string& m = (*msg)->text;
    if (next_ >= protocols_.size()) return error::unexpected_protocol;
    if (m == kNa) {
      if (++next_ >= protocols_.size()) return error::no_common_protocol;
      step.send += encode(protocols_[next_]);
      continue;
    }
    if (m != protocols_[next_]) return error::unexpected_protocol;
    step.selected = m;
    step.leftover = negotiation_.take_rest();
    return step;
  }
}

Listener::Listener(std::vector<std::string> supported) : supported_(std::move(supported)) {}

Result<Step> Listener::on_data(std::span<const std::uint8_t> bytes) {
  negotiation_.feed(bytes);
  Step step;
  for (;;) {
    auto msg = negotiation_.next();
    if (!msg) return msg.error();
    if (!*msg) return step;
    if ((*msg)->header) {
      step.send += encode(kProtocolId);
      continue;
    }
    const std::string& m = (*msg)->text;
    if (m == "ls") {
      // The answer to ls is one lp message holding each protocol as lp(proto + "\n").
      std::string list;
      for (const auto& p : supported_) list += encode(p);
      std::string out;
      core::append_uvarint(out, list.size() + 1);
      step.send += out + list + "\n";
      continue;
    }
    if (std::find(supported_.begin(), supported_.end(), m) != supported_.end()) {
      step.send += encode(m);
      step.selected = m;
      step.leftover = negotiation_.take_rest();
      return step;
    }
    step.send += encode(kNa);
  }
}

}  // namespace agentmesh::wire::multistream
