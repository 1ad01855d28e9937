#pragma once
// Storage::commit's definition, for the node's .cpp files that run writer
// jobs (a template: each file instantiates it for its own result types).
// Internal to the node module; the header keeps Asio's async machinery out of
// storage.hpp.

#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <optional>

#include "node/storage.hpp"

namespace agentmesh::node {

template <class T>
Task<Result<T>> Storage::commit(WorkFn<T> work) {
  return commit<T>(std::move(work), std::function<void()>());
}

template <class T>
Task<Result<T>> Storage::commit(WorkFn<T> work, std::function<void()> queued) {
  auto keep = shared_from_this();  // alive until the job's result is noted
  auto ex = ex_;
  auto* writer = writer_.get();
  // Named, not a temporary inside co_await: GCC 12 mishandles non-trivial
  // temporaries in co_await operands (they get relocated bytewise).
  auto initiation = [writer, ex, work = std::move(work), queued = std::move(queued)](auto handler) mutable {
    using Handler = decltype(handler);
    auto h = std::make_shared<Handler>(std::move(handler));
    auto slot = std::make_shared<std::optional<Result<T>>>();
    store::Job job;
    job.work = [work = std::move(work), slot](store::Store& s) -> error_code {
      *slot = work(s);
      return (*slot)->has_error() ? (*slot)->error() : error_code{};
    };
    job.done = [h, slot, ex](error_code ec) {
      Result<T> r = ec ? Result<T>(ec) : std::move(**slot);
      boost::asio::post(ex, [h, r = std::move(r)]() mutable { std::move (*h)(std::move(r)); });
    };
    if (auto s = writer->submit(std::move(job)); !s) {
      boost::asio::post(ex, [h, e = s.error()]() mutable { std::move (*h)(Result<T>(e)); });
    } else if (queued) {
      queued();
    }
  };
  auto result = co_await boost::asio::async_initiate<const boost::asio::use_awaitable_t<>, void(Result<T>)>(
      std::move(initiation), boost::asio::use_awaitable);
  if (!result) note_result(result.error());
  co_return result;
}

}  // namespace agentmesh::node
