#include "transport/autonat.hpp"

#include <algorithm>
#include <boost/asio/steady_timer.hpp>
#include <set>

#include "core/awaitable.hpp"
#include "core/spawn.hpp"
#include "transport/connection.hpp"
#include "transport/detail/timeout.hpp"
#include "transport/error.hpp"
#include "transport/stream_io.hpp"

namespace agentmesh::transport {

namespace an = wire::autonat;
using core::kTuple;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

constexpr std::size_t kMaxVotes = 8;

std::int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The address's IP component (ip4 or ip6), if it has one.
std::optional<core::Multiaddr::Component> ip_of(const core::Multiaddr& a) {
  for (const auto& c : a.components()) {
    if (c.protocol == core::MultiaddrProtocol::ip4 || c.protocol == core::MultiaddrProtocol::ip6) return c;
  }
  return std::nullopt;
}

bool unspecified(const core::Multiaddr::Component& ip) {
  return std::all_of(ip.value.begin(), ip.value.end(), [](char b) { return b == 0; });
}

// /ip4|ip6/<ip>/tcp/<port>.
std::optional<core::Multiaddr> with_port(const core::Multiaddr::Component& ip, std::uint16_t port) {
  std::string bytes;
  bytes.push_back(static_cast<char>(static_cast<std::uint8_t>(ip.protocol)));
  bytes += ip.value;
  bytes.push_back(static_cast<char>(core::MultiaddrProtocol::tcp));
  bytes.push_back(static_cast<char>(port >> 8));
  bytes.push_back(static_cast<char>(port & 0xff));
  auto ma = core::Multiaddr::from_bytes({reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()});
  if (!ma) return std::nullopt;
  return *ma;
}

}  // namespace

std::string_view to_string(Reachability r) noexcept {
  switch (r) {
    case Reachability::unknown:
      return "unknown";
    case Reachability::reachable:
      return "public";
    case Reachability::unreachable:
      return "private";
  }
  return "unknown";
}

AutoNat::AutoNat(std::shared_ptr<Host> host, AutoNatConfig config, std::shared_ptr<spdlog::logger> log)
    : host_(std::move(host)), config_(config), log_(std::move(log)) {
  status_.service = config_.service;
}

void AutoNat::start() {
  if (config_.service) {
    std::weak_ptr<AutoNat> weak = weak_from_this();
    host_->set_handler(std::string(an::kProtocolId), [weak](std::shared_ptr<Stream> s) -> Task<void> {
      if (auto self = weak.lock()) co_await self->serve(std::move(s));
    });
  }
  timer_ = std::make_shared<boost::asio::steady_timer>(host_->executor());
  std::weak_ptr<AutoNat> weak = weak_from_this();
  core::spawn(host_->executor(), host_->tasks(), "autonat", "client", [weak]() -> Task<void> {
    if (auto self = weak.lock()) co_await self->client_loop();
  });
}

void AutoNat::stop() {
  stopped_ = true;
  if (timer_) timer_->cancel();
}

AutoNatStatus AutoNat::status() const {
  auto s = status_;
  std::map<std::string, std::pair<core::Multiaddr, std::size_t>> by;
  for (const auto& p : host_->peers()) {
    if (!p.observed_addr) continue;
    auto [it, fresh] = by.try_emplace(p.observed_addr->to_bytes(), *p.observed_addr, 0);
    ++it->second.second;
  }
  for (auto& [key, entry] : by) s.observed.push_back(std::move(entry));
  std::sort(s.observed.begin(), s.observed.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  return s;
}

// --- client ---

Task<void> AutoNat::client_loop() {
  auto self = shared_from_this();
  auto timer = timer_;
  auto wait = config_.first_check;
  while (!stopped_) {
    timer->expires_after(wait);
    (void)co_await timer->async_wait(kTuple);
    if (stopped_) co_return;
    const bool answered = co_await check();
    // Without an answer (no server connected yet): try again soon.
    wait = !answered                                 ? config_.first_check
           : status_.state == Reachability::unknown ? config_.interval
                                                    : config_.confirmed_interval;
  }
}

std::vector<core::Multiaddr> AutoNat::candidate_addrs() const {
  std::vector<core::Multiaddr> out;
  std::set<std::string> seen;
  auto add = [&](core::Multiaddr a) {
    if (out.size() < an::kMaxAddrs && seen.insert(a.to_bytes()).second) out.push_back(std::move(a));
  };
  const auto listen = host_->listen_addrs();
  for (const auto& a : listen) {
    if (auto ip = ip_of(a); ip && !unspecified(*ip)) add(a);
  }
  // The IPs peers see us at, with each listen port (a NAT with a forwarded
  // port maps it unchanged; the observed port itself is our dial's source).
  for (const auto& p : host_->peers()) {
    if (!p.observed_addr) continue;
    auto ip = ip_of(*p.observed_addr);
    if (!ip) continue;
    for (const auto& a : listen) {
      if (auto port = a.tcp_port()) {
        if (auto candidate = with_port(*ip, *port)) add(std::move(*candidate));
      }
    }
  }
  return out;
}

Task<bool> AutoNat::check() {
  auto self = shared_from_this();
  std::vector<core::PeerId> servers;
  for (const auto& p : host_->peers()) {
    if (std::find(p.protocols.begin(), p.protocols.end(), an::kProtocolId) != p.protocols.end()) {
      servers.push_back(p.peer);
    }
  }
  if (servers.empty()) co_return false;
  std::shuffle(servers.begin(), servers.end(), rng_);
  if (servers.size() > config_.servers_per_check) {
    servers.erase(servers.begin() + static_cast<std::ptrdiff_t>(config_.servers_per_check), servers.end());
  }
  const auto addrs = candidate_addrs();
  if (addrs.empty()) co_return false;
  ++status_.checks;
  const auto before = status_.checked_ms;
  // Asked in parallel; the check ends when every answer is in.
  auto pending = std::make_shared<std::size_t>(servers.size());
  auto done = std::make_shared<boost::asio::steady_timer>(host_->executor(), Clock::time_point::max());
  for (const auto& server : servers) {
    core::spawn(host_->executor(), host_->tasks(), "autonat", server.to_string(),
                [self, server, addrs, pending, done]() -> Task<void> {
                  co_await self->ask(server, addrs, pending);
                  if (*pending == 0) done->cancel();
                });
  }
  while (*pending > 0 && !stopped_) co_await done->async_wait(kTuple);
  recompute();
  co_return status_.checked_ms != before;
}

Task<Result<an::DialResponse>> AutoNat::request(core::PeerId server, std::vector<core::Multiaddr> addrs) {
  auto self = shared_from_this();
  std::vector<std::string> protocols{std::string(an::kProtocolId)};  // (not a braced list inside co_await: GCC 12)
  auto stream = co_await host_->new_stream(server, std::move(protocols));
  if (!stream) co_return stream.error();
  an::Dial dial{host_->peer_id().multihash(), std::move(addrs)};
  if (auto w = co_await write_lp(**stream, an::encode(an::Message{dial})); !w) co_return w.error();
  LpReader reader(**stream);
  auto msg = co_await reader.read(an::kMaxMessage);
  (*stream)->reset();
  if (!msg) co_return msg.error();
  auto decoded = an::decode({reinterpret_cast<const std::uint8_t*>(msg->data()), msg->size()});
  if (!decoded) co_return decoded.error();
  if (!std::holds_alternative<an::DialResponse>(*decoded)) co_return make_error_code(error::protocol_violation);
  co_return std::get<an::DialResponse>(std::move(*decoded));
}

Task<void> AutoNat::ask(core::PeerId server, std::vector<core::Multiaddr> addrs, std::shared_ptr<std::size_t> pending) {
  auto self = shared_from_this();
  struct Done {
    std::shared_ptr<std::size_t> n;
    ~Done() { --*n; }
  } done{pending};
  // The server dials up to max_dial_back_addrs addresses, each within its
  // timeout, plus the stream's own round trips.
  const auto budget = config_.dial_back_timeout * static_cast<int>(config_.max_dial_back_addrs) + 10s;
  auto answer = co_await detail::with_timeout(request(server, std::move(addrs)), budget);
  if (!answer) {
    ++status_.answers["failed"];
    log_->debug("autonat: {} did not answer: {}", server.to_string(), answer.error().message());
    co_return;
  }
  ++status_.answers[std::string(an::to_string(answer->status))];
  status_.checked_ms = unix_ms();
  if (answer->status != an::Status::ok && answer->status != an::Status::dial_error) co_return;  // no vote
  if (answer->status == an::Status::ok && answer->addr) status_.public_addr = answer->addr;
  votes_[server] = Vote{answer->status, *status_.checked_ms};
  if (votes_.size() > kMaxVotes) {
    auto oldest = std::min_element(votes_.begin(), votes_.end(),
                                   [](const auto& a, const auto& b) { return a.second.at_ms < b.second.at_ms; });
    votes_.erase(oldest);
  }
}

void AutoNat::recompute() {
  std::size_t ok = 0;
  std::size_t err = 0;
  for (const auto& [peer, v] : votes_) (v.status == an::Status::ok ? ok : err)++;
  status_.votes_public = ok;
  status_.votes_private = err;
  const std::size_t needed = std::min<std::size_t>(2, votes_.size());
  auto next = Reachability::unknown;
  if (needed > 0 && ok > err && ok >= needed) next = Reachability::reachable;
  if (needed > 0 && err > ok && err >= needed) next = Reachability::unreachable;
  if (next != status_.state) {
    log_->info("reachability: {} ({} of {} AutoNAT servers dialed us back)", to_string(next), ok, ok + err);
    status_.state = next;
    host_->set_private(next == Reachability::unreachable);
  }
}

// --- server ---

std::optional<std::string> AutoNat::refuse_reason(const core::PeerId& peer, Clock::time_point now) {
  while (!recent_.empty() && now - recent_.front() > std::chrono::minutes(1)) recent_.pop_front();
  if (auto it = last_request_.find(peer); it != last_request_.end() && now - it->second < config_.per_peer_interval) {
    return "rate";
  }
  if (recent_.size() >= config_.max_requests_per_minute) return "rate";
  if (in_progress_ >= config_.max_concurrent) return "busy";
  // Forget peers whose interval is over (bounded by the requests of a minute).
  if (last_request_.size() > 4 * config_.max_requests_per_minute) {
    std::erase_if(last_request_, [&](const auto& e) { return now - e.second >= config_.per_peer_interval; });
  }
  last_request_[peer] = now;
  recent_.push_back(now);
  return std::nullopt;
}

Task<void> AutoNat::serve(std::shared_ptr<Stream> stream) {
  auto self = shared_from_this();
  const auto peer = stream->peer();
  const auto from = stream->connection().remote_addr();
  LpReader reader(*stream);
  auto msg = co_await detail::with_timeout(reader.read(an::kMaxMessage), 10s);
  ++status_.requests;
  an::DialResponse response;
  std::optional<an::Message> decoded;
  if (msg) {
    if (auto d = an::decode({reinterpret_cast<const std::uint8_t*>(msg->data()), msg->size()})) decoded = *d;
  }
  const auto* dial = decoded ? std::get_if<an::Dial>(&*decoded) : nullptr;
  if (!dial || dial->peer != peer.multihash()) {
    ++status_.refused["bad_request"];
    response = an::DialResponse{an::Status::bad_request, "expected a DIAL for the peer of this connection", {}};
  } else if (auto reason = refuse_reason(peer, Clock::now())) {
    ++status_.refused[*reason];
    response = an::DialResponse{an::Status::dial_refused, *reason == "rate" ? "rate limited" : "busy", {}};
  } else {
    ++in_progress_;
    response = co_await answer(peer, from, *dial);
    --in_progress_;
  }
  (void)co_await write_lp(*stream, an::encode(an::Message{response}));
  (void)stream->close_write();
}

Task<an::DialResponse> AutoNat::answer(const core::PeerId& peer, const core::Multiaddr& from, const an::Dial& dial) {
  auto self = shared_from_this();
  const auto observed = ip_of(from);
  std::vector<core::Multiaddr> targets;
  for (const auto& a : dial.addrs) {
    auto ip = ip_of(a);
    if (observed && ip && *ip == *observed && a.tcp_port() && targets.size() < config_.max_dial_back_addrs) {
      targets.push_back(a.without_peer_id());
    }
  }
  if (targets.empty()) {
    ++status_.refused["no_address"];
    co_return an::DialResponse{an::Status::dial_refused, "no address on the IP this request came from", {}};
  }
  for (const auto& target : targets) {
    if (stopped_) break;
    if (co_await host_->probe(peer, target, config_.dial_back_timeout)) {
      ++status_.dialed_back;
      co_return an::DialResponse{an::Status::ok, "", target};
    }
  }
  ++status_.dial_back_failed;
  co_return an::DialResponse{an::Status::dial_error, "no address answered", {}};
}

}  // namespace agentmesh::transport
