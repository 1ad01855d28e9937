#pragma once
// TopicReader: collects a topic's SSE events from one daemon on a thread
// (integration and interop tests). The destructor stops at the next chunk
// (an event or the 15 s heartbeat) or when the daemon closes the stream.

#include <atomic>
#include <boost/json.hpp>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "testutil/testutil.hpp"

namespace agentmesh::testutil {

// Collects a topic's SSE events from one daemon on a thread.
class TopicReader {
 public:
  TopicReader(const Daemon& d, const std::string& escaped_topic) {
    thread_ = std::thread([this, c = d.admin(), escaped_topic]() mutable {
      std::string err;
      (void)c.stream(
          "/v1/topics/" + escaped_topic + "/events", {},
          [this](std::string_view chunk) {
            std::lock_guard<std::mutex> lock(mu_);
            text_.append(chunk);
            return !stop_;
          },
          err);
    });
  }
  ~TopicReader() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  // How many message events so far (cheap: no parsing).
  std::size_t count() {
    std::lock_guard<std::mutex> lock(mu_);
    std::size_t n = 0;
    for (std::size_t pos = 0; (pos = text_.find("event: message\n", pos)) != std::string::npos; ++pos) ++n;
    return n;
  }
  // Whether the stream so far contains `text` (e.g. a message body).
  bool contains(std::string_view text) {
    std::lock_guard<std::mutex> lock(mu_);
    return text_.find(text) != std::string::npos;
  }
  // The message events so far.
  std::vector<boost::json::object> messages() {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<boost::json::object> out;
    std::size_t pos = 0;
    while ((pos = text_.find("event: message\ndata: ", pos)) != std::string::npos) {
      pos += 21;
      const auto end = text_.find('\n', pos);
      if (end == std::string::npos) break;
      out.push_back(boost::json::parse(text_.substr(pos, end - pos)).as_object());
    }
    return out;
  }

 private:
  std::mutex mu_;
  std::string text_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace agentmesh::testutil
