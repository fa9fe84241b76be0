#include "cluster/client/tso_batcher.h"

namespace brix::cluster {

Result<GetTsResponse> TsoBatcher::Next() {
  std::unique_lock<std::mutex> lock(mu_);
  if (!open_) open_ = std::make_shared<Batch>();
  std::shared_ptr<Batch> batch = open_;
  const uint32_t index = batch->callers++;
  while (!batch->done) {
    if (!in_flight_ && open_ == batch) {
      // Lead the batch: it is closed from here on, so `callers` is final.
      in_flight_ = true;
      open_ = nullptr;
      ++requests_;
      lock.unlock();
      Result<GetTsResponse> reply = get_ts_(batch->callers);
      lock.lock();
      batch->reply = std::move(reply);
      batch->done = true;
      in_flight_ = false;
      done_cv_.notify_all();  // the batch's callers, and the next batch's leader
      break;
    }
    done_cv_.wait(lock);
  }
  if (!batch->reply.ok()) return batch->reply.status();
  // The reply's ts is the last of `callers` consecutive ones: caller i gets the i-th.
  GetTsResponse mine = *batch->reply;
  mine.set_ts(batch->reply->ts() - (batch->callers - 1) + index);
  return mine;
}

uint64_t TsoBatcher::requests() {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

uint32_t TsoBatcher::queued() {
  std::lock_guard<std::mutex> lock(mu_);
  return open_ ? open_->callers : 0;
}

}  // namespace brix::cluster
