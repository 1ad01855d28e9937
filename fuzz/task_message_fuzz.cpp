// Fuzzes the task-transition decoder (tasks/codec.hpp): a message another
// daemon sent, and a stored task. Whatever decodes must encode and decode
// back to the same value, and a decoded event folded into a decoded task
// (as a daemon's copy does) must not crash.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "tasks/codec.hpp"
#include "tasks/machine.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace agentmesh;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  if (auto m = tasks::decode_message(bytes)) {
    auto again = tasks::decode_message(tasks::encode_message(*m));
    if (!again || !(*again == *m)) std::abort();
    if (const auto* e = std::get_if<tasks::Event>(&*m); e && e->snapshot) {
      tasks::Task t = *e->snapshot;
      tasks::Limits limits;
      if (tasks::fold(t, *e) != tasks::Fold::stale) std::abort();  // the snapshot is the task after e
      for (auto a : {tasks::Action::accept, tasks::Action::progress, tasks::Action::cancel}) {
        tasks::Command c;
        c.task = t.id;
        c.action = a;
        c.actor = a == tasks::Action::cancel ? t.requester : t.assignee;
        if (auto next = tasks::decide(t, c, e->time_ms, limits)) tasks::apply(t, *next, limits);
      }
    }
  }
  if (auto t = tasks::decode_task(bytes)) {
    auto again = tasks::decode_task(tasks::encode(*t));
    if (!again || !(*again == *t)) std::abort();
  }
  return 0;
}
