#pragma once
// One result type for every layer: a value or a boost::system::error_code.
//
// error_code categories of every layer (core::error, crypto::error,
// store::error, node::error) derive from boost::system::error_category, which
// converts to std::error_category, so a Result's error can be compared against
// std::error_code values and condition groups alike.
//
// Parsers, validators and store calls return Result<T>; exceptions are used only
// for programming errors and stop at a coroutine root (core/spawn.hpp reports them).

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

namespace agentmesh {

using error_code = boost::system::error_code;

template <class T>
using Result = boost::system::result<T, error_code>;

}  // namespace agentmesh
