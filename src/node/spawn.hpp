#pragma once
// ServiceContext::spawn's definition (it needs co_spawn, which storage.hpp
// and context.hpp keep out of the services' headers). Internal to node/.

#include "core/spawn.hpp"
#include "node/context.hpp"

namespace agentmesh::node {

template <class Work>
void ServiceContext::spawn(std::string_view where, std::string detail, Work work) const {
  core::spawn(ex, tasks, where, std::move(detail), std::move(work));
}

}  // namespace agentmesh::node
