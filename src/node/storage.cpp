#include "node/storage.hpp"

#include <boost/asio/post.hpp>

#include "core/condition.hpp"

namespace agentmesh::node {

Storage::Storage(boost::asio::any_io_executor ex, std::unique_ptr<store::Store> writer_store,
                 std::unique_ptr<store::Store> reader, store::WriterConfig config)
    : ex_(std::move(ex)),
      writer_(std::make_unique<store::Writer>(std::move(writer_store), config)),
      reader_(std::move(reader)) {}

Storage::~Storage() { stop(); }

void Storage::stop() { writer_->stop(); }

void Storage::note_result(const error_code& ec) {
  // Domain outcomes (not_found, conflict, beyond_last) and back-pressure are
  // not database failures.
  if (ec != core::condition::store_failure) return;
  last_failure_ = ec;
  failures_.inc();
}

bool Storage::submit_detached(WorkFn<void> work) {
  store::Job job;
  auto result = std::make_shared<error_code>();
  job.work = [work = std::move(work), result](store::Store& s) -> error_code {
    auto r = work(s);
    *result = r ? error_code{} : r.error();
    return *result;
  };
  // The outcome is noted on the node's executor, like commit()'s.
  job.done = [weak = weak_from_this(), ex = ex_](error_code ec) {
    if (!ec) return;
    boost::asio::post(ex, [weak, ec] {
      if (auto self = weak.lock()) self->note_result(ec);
    });
  };
  return writer_->submit(std::move(job)).has_value();
}

}  // namespace agentmesh::node
