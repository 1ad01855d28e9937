#pragma once
// ProtobufReader: reads protobuf wire format (varints, tags, length-delimited
// fields) from a span without copying, for the hot decoders that map bytes
// straight to domain structs instead of going through generated types (the
// gossipsub RPC: every copy of every message a daemon receives).
//
// It accepts what protobuf's own parser accepts: tags and lengths of up to 5
// bytes and values of up to 10, minimal or not; fields in any order; unknown fields of every wire type,
// groups included, except groups nested more than kMaxGroupDepth deep
// (protobuf allows about 100). A tag with field number 0, a truncated field
// or an end-group without its start is an error (next() returns false and
// sets failed()). fuzz/pubsub_rpc_fuzz checks it against protobuf's parser.
//
// Threading: none.

#include <cstdint>
#include <span>
#include <string_view>

namespace agentmesh::wire {

class ProtobufReader {
 public:
  enum WireType : std::uint8_t { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kStartGroup = 3, kEndGroup = 4,
                                 kFixed32 = 5 };
  static constexpr int kMaxGroupDepth = 32;

  explicit ProtobufReader(std::span<const std::uint8_t> bytes) : p_(bytes.data()), end_(bytes.data() + bytes.size()) {}
  explicit ProtobufReader(std::string_view bytes)
      : p_(reinterpret_cast<const std::uint8_t*>(bytes.data())), end_(p_ + bytes.size()) {}

  // Reads the next field's tag. False at the end of the input or on an
  // error (then failed()).
  bool next() {
    if (p_ == end_) return false;
    std::uint32_t tag = 0;
    if (!read_tag(tag)) return fail();
    field_ = tag >> 3;
    type_ = static_cast<std::uint8_t>(tag & 7);
    return true;
  }
  std::uint32_t field() const { return field_; }
  std::uint8_t wire_type() const { return type_; }
  bool failed() const { return failed_; }

  // The current field's value. REQUIRES: wire_type() matches.
  bool read_varint(std::uint64_t& out) { return varint(out) || fail(); }
  bool read_bytes(std::string_view& out) {
    std::uint32_t n = 0;
    if (!read_size(n) || n > static_cast<std::uint64_t>(end_ - p_)) return fail();
    out = {reinterpret_cast<const char*>(p_), static_cast<std::size_t>(n)};
    p_ += n;
    return true;
  }
  // Skips the current field, whatever its wire type.
  bool skip() { return skip_field(field_, type_, 0) || fail(); }

 private:
  bool fail() {
    failed_ = true;
    p_ = end_;
    return false;
  }
  // Tags, as protobuf reads them: at most 5 bytes, the value taken modulo
  // 2^32; field number 0 is invalid.
  bool read_tag(std::uint32_t& out) {
    std::uint64_t v = 0;
    if (!varint(v, 5)) return false;
    out = static_cast<std::uint32_t>(v);
    return out >> 3 != 0;
  }
  // Lengths, as protobuf reads them: at most 5 bytes, below 2^31.
  bool read_size(std::uint32_t& out) {
    std::uint64_t v = 0;
    if (!varint(v, 5) || v >= (std::uint64_t{1} << 31)) return false;
    out = static_cast<std::uint32_t>(v);
    return true;
  }
  // A varint of at most `max_bytes` bytes (values: 10), bits past 64 dropped.
  bool varint(std::uint64_t& out, int max_bytes = 10) {
    out = 0;
    for (int i = 0; i < max_bytes; ++i) {
      if (p_ == end_) return false;
      const std::uint8_t b = *p_++;
      out |= static_cast<std::uint64_t>(b & 0x7f) << (7 * i);
      if (!(b & 0x80)) return true;
    }
    return false;
  }
  bool skip_field(std::uint32_t field, std::uint8_t type, int depth) {
    std::uint64_t v = 0;
    switch (type) {
      case kVarint:
        return varint(v);
      case kFixed64:
        return advance(8);
      case kLengthDelimited: {
        std::uint32_t n = 0;
        if (!read_size(n) || n > static_cast<std::uint64_t>(end_ - p_)) return false;
        p_ += n;
        return true;
      }
      case kFixed32:
        return advance(4);
      case kStartGroup:
        if (depth >= kMaxGroupDepth) return false;
        for (;;) {
          std::uint32_t tag = 0;
          if (!read_tag(tag)) return false;
          const auto f = tag >> 3;
          const auto t = static_cast<std::uint8_t>(tag & 7);
          if (t == kEndGroup) return f == field;
          if (!skip_field(f, t, depth + 1)) return false;
        }
      default:  // an end-group without its start, or wire types 6 and 7
        return false;
    }
  }
  bool advance(std::size_t n) {
    if (static_cast<std::size_t>(end_ - p_) < n) return false;
    p_ += n;
    return true;
  }

  const std::uint8_t* p_;
  const std::uint8_t* end_;
  std::uint32_t field_ = 0;
  std::uint8_t type_ = 0;
  bool failed_ = false;
};

}  // namespace agentmesh::wire
