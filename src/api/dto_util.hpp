#pragma once
// Small JSON builders the API's response mappings share. Internal to api/.

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <map>
#include <string>
#include <vector>

#include "core/multiaddr.hpp"

namespace agentmesh::api {

inline boost::json::array string_array(const std::vector<std::string>& items) {
  boost::json::array arr;
  for (const auto& s : items) arr.emplace_back(s);
  return arr;
}

inline boost::json::array addr_array(const std::vector<core::Multiaddr>& addrs) {
  boost::json::array arr;
  for (const auto& a : addrs) arr.emplace_back(a.to_string());
  return arr;
}

template <class Key>
boost::json::object count_map(const std::map<Key, std::uint64_t>& m) {
  boost::json::object o;
  for (const auto& [k, v] : m) o[k] = v;
  return o;
}

}  // namespace agentmesh::api
