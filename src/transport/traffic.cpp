#include "transport/traffic.hpp"

#include <algorithm>

namespace agentmesh::transport {

std::string_view to_string(Traffic t) {
  switch (t) {
    case Traffic::control: return "control";
    case Traffic::direct: return "direct";
    case Traffic::gossip: return "gossip";
    case Traffic::replay: return "replay";
    case Traffic::other: return "other";
  }
  return "other";
}

Traffic traffic_of(std::string_view protocol) {
  struct Prefix {
    std::string_view prefix;
    Traffic traffic;
  };
  static constexpr std::array<Prefix, 6> kPrefixes{{
      {"/meshsub/", Traffic::gossip},
      {"/agentmesh/dm/", Traffic::direct},
      {"/agentmesh/topic-replay/", Traffic::replay},
      {"/ipfs/id/", Traffic::control},
      {"/ipfs/ping/", Traffic::control},
      {"/libp2p/", Traffic::control},
  }};
  for (const auto& p : kPrefixes) {
    if (protocol.starts_with(p.prefix)) return p.traffic;
  }
  return Traffic::other;
}

void DwellHistogram::observe(std::chrono::steady_clock::duration d) {
  const double ms = std::chrono::duration<double, std::milli>(d).count();
  std::size_t i = 0;
  while (i < kBoundsMs.size() && ms > kBoundsMs[i]) ++i;
  ++counts[i];
  ++count;
  sum_ms += ms;
}

double DwellHistogram::quantile(double q) const {
  if (count == 0) return 0;
  const auto rank = static_cast<std::uint64_t>(std::max(1.0, q * static_cast<double>(count) + 0.5));
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < kBoundsMs.size(); ++i) {
    seen += counts[i];
    if (seen >= rank) return kBoundsMs[i];
  }
  return kBoundsMs.back();
}

void DwellHistogram::merge(const DwellHistogram& other) {
  for (std::size_t i = 0; i < counts.size(); ++i) counts[i] += other.counts[i];
  count += other.count;
  sum_ms += other.sum_ms;
}

std::int64_t RateWindow::second_of(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

void RateWindow::add(std::chrono::steady_clock::time_point now, std::uint64_t n) {
  const auto s = second_of(now);
  const auto i = static_cast<std::size_t>(s % static_cast<std::int64_t>(kSeconds));
  if (second_[i] != s) {
    second_[i] = s;
    bytes_[i] = 0;
  }
  bytes_[i] += n;
}

double RateWindow::per_second(std::chrono::steady_clock::time_point now) const {
  // The ten whole seconds before the current one.
  const auto s = second_of(now);
  std::uint64_t sum = 0;
  for (std::size_t i = 0; i < kSeconds; ++i) {
    if (second_[i] < s && second_[i] >= s - static_cast<std::int64_t>(kSeconds)) sum += bytes_[i];
  }
  return static_cast<double>(sum) / kSeconds;
}

void RateWindow::merge(const RateWindow& other) {
  for (std::size_t i = 0; i < kSeconds; ++i) {
    if (other.second_[i] > second_[i]) {
      second_[i] = other.second_[i];
      bytes_[i] = other.bytes_[i];
    } else if (other.second_[i] == second_[i]) {
      bytes_[i] += other.bytes_[i];
    }
  }
}

void TrafficStats::merge(const TrafficStats& o) {
  out_queued_bytes += o.out_queued_bytes;
  out_queued_frames += o.out_queued_frames;
  out_enqueued_bytes += o.out_enqueued_bytes;
  out_sent_bytes += o.out_sent_bytes;
  out_sent_frames += o.out_sent_frames;
  out_enqueue_rate.merge(o.out_enqueue_rate);
  out_drain_rate.merge(o.out_drain_rate);
  out_dwell.merge(o.out_dwell);
  in_buffered_bytes += o.in_buffered_bytes;
  in_bytes += o.in_bytes;
  in_read_bytes += o.in_read_bytes;
  in_rate.merge(o.in_rate);
  in_read_rate.merge(o.in_read_rate);
  in_dwell.merge(o.in_dwell);
}

}  // namespace agentmesh::transport
