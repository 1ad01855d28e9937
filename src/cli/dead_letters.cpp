// `agentmesh deadletters [retry|delete]`.

#include <fmt/format.h>

#include <iostream>
#include <memory>

#include "cli/context.hpp"

namespace agentmesh::cli {

namespace {
struct DeadLetterOptions {
  std::uint64_t after = 0;
  std::uint64_t limit = 100;
  std::int64_t id = 0;
};
}  // namespace

void add_dead_letter_commands(CLI::App& app, Global& g) {
  auto o = std::make_shared<DeadLetterOptions>();
  auto* d = app.add_subcommand("deadletters", "list, retry or delete dead letters");
  add_global(*d, g);
  d->add_option("--after", o->after, "list dead letters with id above this");
  d->add_option("--limit", o->limit, "at most this many (1-1000)");
  auto* r = d->add_subcommand("retry", "deliver a dead letter again");
  add_global(*r, g);
  r->add_option("id", o->id, "dead letter id")->required();
  r->callback([o, &g] {
    auto v = call(g, "POST", fmt::format("/v1/deadletters/{}/retry", o->id));
    if (g.json) return print_json(v);
    std::cout << fmt::format("{} request_id={} seq={}\n", str(v, "state"), str(v, "request_id"), str(v, "seq"));
  });
  auto* x = d->add_subcommand("delete", "discard a dead letter");
  add_global(*x, g);
  x->add_option("id", o->id, "dead letter id")->required();
  x->callback([o, &g] {
    auto v = call(g, "DELETE", fmt::format("/v1/deadletters/{}", o->id));
    if (g.json) return print_json(v);
    std::cout << fmt::format("deleted dead letter {}\n", o->id);
  });
  d->callback([o, &g, d] {
    if (!d->get_subcommands().empty()) return;
    auto v = call(g, "GET", fmt::format("/v1/deadletters?after={}&limit={}", o->after, o->limit));
    if (g.json) return print_json(v);
    const auto& list = v.at("dead_letters").as_array();
    for (const auto& item : list) {
      const auto& m = item.as_object();
      std::cout << fmt::format("[{}] {}  {} -> {}  reason={} attempts={}\n    {}\n", str(m, "id"),
                               format_time(m.at("time_ms").to_number<std::int64_t>()), str(m, "from").substr(0, 16),
                               str(m, "to").substr(0, 16), str(m, "reason"), str(m, "attempts"), body_text(m));
    }
    std::cout << fmt::format("({} dead letters)\n", list.size());
  });
}

}  // namespace agentmesh::cli
