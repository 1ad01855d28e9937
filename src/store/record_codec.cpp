#include "store/record_codec.hpp"

#include "store/error.hpp"

namespace agentmesh::store {
namespace {

void put_varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

void put_string(std::string& out, const std::string& s) {
  put_varint(out, s.size());
  out += s;
}

class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> b) : b_(b) {}
  // Minimal LEB128 only: a final byte of 0 after others (e.g. 80 00 for 0)
  // or bits beyond 64 are rejected, so every value has one encoding.
  bool varint(std::uint64_t& v) {
    v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= b_.size()) return false;
      const std::uint8_t c = b_[pos_++];
      if (shift == 63 && c > 1) return false;
      v |= static_cast<std::uint64_t>(c & 0x7f) << shift;
      if ((c & 0x80) == 0) return c != 0 || shift == 0;
    }
    return false;
  }
  bool string(std::string& s, std::size_t max) {
    std::uint64_t n = 0;
    if (!varint(n) || n > max || n > b_.size() - pos_) return false;
    s.assign(reinterpret_cast<const char*>(b_.data() + pos_), n);
    pos_ += n;
    return true;
  }
  bool done() const { return pos_ == b_.size(); }
  std::size_t remaining() const { return b_.size() - pos_; }

 private:
  std::span<const std::uint8_t> b_;
  std::size_t pos_ = 0;
};

}  // namespace

std::string encode_string_list(const std::vector<std::string>& items) {
  std::string out;
  put_varint(out, items.size());
  for (const auto& s : items) put_string(out, s);
  return out;
}

Result<std::vector<std::string>> decode_string_list(std::span<const std::uint8_t> bytes, CodecLimits limits) {
  Reader r(bytes);
  std::uint64_t n = 0;
  // Every item takes at least one byte, so a count above the remaining bytes is corrupt.
  if (!r.varint(n) || n > limits.max_items || n > r.remaining()) return error::corrupt;
  std::vector<std::string> out(n);
  for (auto& s : out) {
    if (!r.string(s, limits.max_item_bytes)) return error::corrupt;
  }
  if (!r.done()) return error::corrupt;
  return out;
}

std::string encode_metadata(const Metadata& map) {
  std::string out;
  put_varint(out, map.size());
  for (const auto& [k, v] : map) {
    put_string(out, k);
    put_string(out, v);
  }
  return out;
}

Result<Metadata> decode_metadata(std::span<const std::uint8_t> bytes, CodecLimits limits) {
  Reader r(bytes);
  std::uint64_t n = 0;
  if (!r.varint(n) || n > limits.max_items || n > r.remaining() / 2) return error::corrupt;
  Metadata out(n);
  for (auto& [k, v] : out) {
    if (!r.string(k, limits.max_item_bytes) || !r.string(v, limits.max_item_bytes)) return error::corrupt;
  }
  if (!r.done()) return error::corrupt;
  return out;
}

}  // namespace agentmesh::store
