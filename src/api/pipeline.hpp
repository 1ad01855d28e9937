#pragma once
// Pipeline: one HTTP connection's requests in arrival order (HTTP/1.1
// pipelining). The session's reader appends a Slot per request; a slot
// becomes ready when its response is known (sends complete concurrently, in
// any order); the writer sends the responses strictly in request order,
// every ready one of a run in one write (take_ready()).
//
// Shared with the handler coroutines of pipelined sends, which may complete
// after the session has ended (hence shared_ptr).
//
// Threading: the API's executor (the node's network thread).

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <deque>
#include <memory>
#include <string>

#include "api/http_response.hpp"
#include "api/router.hpp"

namespace agentmesh::api {

struct Pipeline {
  struct Slot {
    Response resp;
    unsigned version = 11;
    bool keep_alive = true;
    bool ready = false;
  };
  explicit Pipeline(boost::asio::io_context& io) : writer_wake(io), reader_wake(io) {}

  std::deque<std::shared_ptr<Slot>> slots;  // responses in request order
  std::size_t in_flight = 0;                // slots not ready yet
  bool reader_done = false;                 // no more requests will be queued
  bool linger = false;                      // the last response answers a request we stopped reading
  std::size_t buffered = 0;                 // bytes received but not parsed yet (more requests coming)
  boost::asio::steady_timer writer_wake;
  boost::asio::steady_timer reader_wake;

  void wake() {
    writer_wake.cancel();
    reader_wake.cancel();
  }
  // Leading slots whose response is ready.
  std::size_t ready() const {
    std::size_t n = 0;
    while (n < slots.size() && slots[n]->ready) ++n;
    return n;
  }
  // Serializes the leading ready responses into `out` (up to about
  // `max_bytes`, and up to the first that closes the connection) and removes
  // their slots. `draining`: the last response of a drained session closes
  // it. Returns whether the connection stays open after them.
  bool take_ready(std::string& out, std::size_t max_bytes, bool draining) {
    std::size_t count = 0;
    bool keep_alive = true;
    while (keep_alive && count < slots.size() && slots[count]->ready && out.size() < max_bytes) {
      const auto& slot = *slots[count];
      ++count;
      const bool last = draining && slots.size() == count && in_flight == 0;
      keep_alive = slot.keep_alive && !last;
      append_response(out, slot.resp, slot.version, keep_alive);
    }
    slots.erase(slots.begin(), slots.begin() + static_cast<std::ptrdiff_t>(count));
    return keep_alive;
  }
};

}  // namespace agentmesh::api
