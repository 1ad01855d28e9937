#pragma once
// multistream-select over any byte transport, shared by the three places it
// runs: the raw TCP socket (/noise), the Noise channel (/yamux/1.0.0) and
// every yamux stream (application protocols). Private to transport/.
//
// IO provides:
//   Task<Result<void>> read_more(std::string& out)   appends at least 1 byte
//   Task<Result<void>> write(std::string_view bytes)

#include <array>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "transport/connection.hpp"
#include "transport/error.hpp"
#include "transport/secure_channel.hpp"
#include "wire/multistream.hpp"

namespace agentmesh::transport::detail {

struct Selected {
  std::string protocol;
  std::string leftover;  // bytes after the final message: the protocol's
};

inline std::span<const std::uint8_t> as_span(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// multistream-select over a yamux stream.
struct StreamIO {
  Stream& s;
  Task<Result<void>> read_more(std::string& out) {
    std::array<std::uint8_t, 1024> buf{};
    auto n = co_await s.read_some(buf);
    if (!n) co_return n.error();
    if (*n == 0) co_return make_error_code(error::stream_closed);
    out.append(reinterpret_cast<const char*>(buf.data()), *n);
    co_return Result<void>{};
  }
  Task<Result<void>> write(std::string_view b) {
    return s.write({reinterpret_cast<const std::uint8_t*>(b.data()), b.size()});
  }
};

template <class IO>
Task<Result<Selected>> select_as_dialer(IO& io, std::vector<std::string> protocols) {
  wire::multistream::Dialer dialer(std::move(protocols));
  const std::string first = dialer.start();
  if (auto w = co_await io.write(first); !w) co_return w.error();
  std::string buf;
  for (;;) {
    buf.clear();
    if (auto r = co_await io.read_more(buf); !r) co_return r.error();
    auto step = dialer.on_data(as_span(buf));
    if (!step) co_return step.error();
    if (!step->send.empty()) {
      if (auto w = co_await io.write(step->send); !w) co_return w.error();
    }
    if (step->selected) co_return Selected{std::move(*step->selected), std::move(step->leftover)};
  }
}

template <class IO>
Task<Result<Selected>> select_as_listener(IO& io, std::vector<std::string> supported) {
  wire::multistream::Listener listener(std::move(supported));
  std::string buf;
  for (;;) {
    buf.clear();
    if (auto r = co_await io.read_more(buf); !r) co_return r.error();
    auto step = listener.on_data(as_span(buf));
    if (!step) co_return step.error();
    if (!step->send.empty()) {
      if (auto w = co_await io.write(step->send); !w) co_return w.error();
    }
    if (step->selected) co_return Selected{std::move(*step->selected), std::move(step->leftover)};
  }
}

}  // namespace agentmesh::transport::detail
