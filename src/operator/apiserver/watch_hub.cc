#include "operator/apiserver/watch_hub.h"

#include <algorithm>

namespace brix::apiserver {

WatchHub::~WatchHub() {
  std::unique_ptr<etcd::Watch> watch;
  {
    std::lock_guard<std::mutex> lock(mu_);
    watch = std::move(watch_);
  }
  // Destroyed unlocked: it joins the etcd thread, which may be waiting for mu_ in OnEvent.
  watch.reset();
}

Status WatchHub::StartIfStopped(int64_t after) {
  Check();
  std::lock_guard<std::mutex> lock(mu_);
  if (watch_) return Status::OK();
  auto watch =
      registry_->Watch(info_, "", after, [this](const WatchEvent& e) { return OnEvent(e); });
  if (!watch.ok()) return watch.status();
  watch_ = std::move(watch).value();
  floor_ = last_ = after;
  history_.clear();
  return Status::OK();
}

bool WatchHub::OnEvent(const WatchEvent& e) {
  int64_t revision = 0;
  try {
    revision = std::stoll(e.object["metadata"].value("resourceVersion", "0"));
  } catch (const std::exception&) {
    return true;
  }
  std::lock_guard<std::mutex> lock(mu_);
  history_.emplace_back(revision, e);
  last_ = std::max(last_, revision);
  while (history_.size() > kHistory) {
    floor_ = history_.front().first;
    history_.pop_front();
  }
  std::erase_if(subs_, [&](Entry& s) { return revision > s.after && !s.sub->OnEvent(e); });
  return true;
}

bool WatchHub::Subscribe(std::shared_ptr<WatchSubscriber> sub, int64_t after) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!watch_ || !watch_->running() || after < floor_) return false;
  for (const auto& [revision, e] : history_) {
    if (revision > after && !sub->OnEvent(e)) return true;
  }
  subs_.push_back(Entry{std::move(sub), after, Clock::now() + bookmark_interval_});
  return true;
}

bool WatchHub::running() {
  std::lock_guard<std::mutex> lock(mu_);
  return watch_ && watch_->running();
}

size_t WatchHub::subscribers() {
  std::lock_guard<std::mutex> lock(mu_);
  return subs_.size();
}

void WatchHub::Check() {
  std::unique_ptr<etcd::Watch> ended;
  std::vector<Entry> ending;
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::erase_if(subs_, [](const Entry& s) { return s.sub->gone(); });
    if (watch_ && watch_->running()) {
      auto now = Clock::now();
      for (auto& s : subs_) {
        if (!s.sub->wants_bookmarks() || now < s.next_bookmark) continue;
        s.sub->OnBookmark(std::max(last_, s.after));
        s.next_bookmark = now + bookmark_interval_;
      }
    }
    if (!watch_ || watch_->running()) return;
    ended = std::move(watch_);
    ending.swap(subs_);
    history_.clear();
  }
  Status why = ended->error();
  if (why.ok()) why = Status::Unavailable("the etcd watch ended");
  for (auto& s : ending) s.sub->OnEnd(why);
}

ApiResult<bool> WatchHubs::Subscribe(const api::ResourceInfo& info,
                                     std::shared_ptr<WatchSubscriber> sub, int64_t after,
                                     int64_t start_at) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& hub = shared_[&info];
  if (!hub) hub = std::make_unique<WatchHub>(registry_, info, bookmark_interval_);
  hub->Check();
  if (!hub->running()) {
    int64_t from = start_at;
    if (from == 0) {
      auto list = registry_->List(info, "");
      if (!list.ok()) return list.error();
      from = list.value().revision;
    }
    if (Status s = hub->StartIfStopped(from); !s.ok()) return ApiError::FromStatus(s);
  }
  if (hub->Subscribe(sub, after)) return true;
  // Older than the shared hub reaches: this request's own etcd watch from `after`.
  auto own = std::make_unique<WatchHub>(registry_, info, bookmark_interval_);
  if (Status s = own->StartIfStopped(after); !s.ok()) {
    if (s.code() != Status::Code::kFailedPrecondition) return ApiError::FromStatus(s);
    sub->OnEnd(s);  // compacted: the stream is one 410 Expired event
    return true;
  }
  if (!own->Subscribe(std::move(sub), after)) {
    return ApiError::FromStatus(Status::Unavailable("the etcd watch ended at once"));
  }
  private_.push_back(std::move(own));
  return true;
}

void WatchHubs::CheckAll() {
  std::vector<std::unique_ptr<WatchHub>> done;
  {
    // Skipped while a subscription holds the lock (it may wait for etcd): the writer thread that
    // calls this must not stall; the next tick checks.
    std::unique_lock<std::mutex> lock(mu_, std::try_to_lock);
    if (!lock.owns_lock()) return;
    for (auto& [info, hub] : shared_) hub->Check();
    for (auto& hub : private_) {
      hub->Check();
      if (hub->subscribers() == 0) done.push_back(std::move(hub));
    }
    std::erase(private_, nullptr);
  }
}

void WatchHubs::Stop() {
  std::map<const api::ResourceInfo*, std::unique_ptr<WatchHub>> shared;
  std::vector<std::unique_ptr<WatchHub>> own;
  {
    std::lock_guard<std::mutex> lock(mu_);
    shared.swap(shared_);
    own.swap(private_);
  }
}

size_t WatchHubs::etcd_watches() {
  std::lock_guard<std::mutex> lock(mu_);
  size_t n = 0;
  for (auto& [info, hub] : shared_) n += hub->running() ? 1 : 0;
  for (auto& hub : private_) n += hub->running() ? 1 : 0;
  return n;
}

}  // namespace brix::apiserver
