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

void QueueFlow::add(TimePoint now, std::size_t n) {
  queued_bytes += n;
  added_bytes += n;
  add_rate.add(now, n);
}

void QueueFlow::remove(TimePoint now, std::size_t n) {
  queued_bytes -= n;
  removed_bytes += n;
  remove_rate.add(now, n);
}

}  // namespace agentmesh::transport
