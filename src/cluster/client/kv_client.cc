#include "cluster/client/kv_client.h"

#include <grpcpp/grpcpp.h>

#include <thread>

#include "cluster/region.h"
#include "cluster/write_id.h"
#include "net/grpc_status.h"

namespace brix::cluster {
KvClient::KvClient(PdClient* pd, std::chrono::milliseconds retry_deadline)
    : pd_(pd), retry_deadline_(retry_deadline) {}

void KvClient::Invalidate() {
  std::lock_guard<std::mutex> lock(mu_);
  regions_by_start_.clear();
  store_addresses_.clear();
}

Result<Region> KvClient::Locate(const std::string& key) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = regions_by_start_.upper_bound(key);
    if (it != regions_by_start_.begin()) {
      --it;
      if (RegionContains(it->second, key)) return it->second;
    }
  }
  BRIX_ASSIGN_OR_RETURN(std::vector<Region> all, pd_->GetRegions("", ""));
  std::lock_guard<std::mutex> lock(mu_);
  regions_by_start_.clear();
  for (auto& r : all) regions_by_start_[r.start_key()] = r;
  for (const auto& r : all) {
    if (RegionContains(r, key)) return r;
  }
  return Status::Unavailable("no region covers the key yet");
}

Result<KvNode::Stub*> KvClient::StubFor(uint64_t store_id) {
  std::string address;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = store_addresses_.find(store_id);
    if (it != store_addresses_.end()) address = it->second;
  }
  if (address.empty()) {
    BRIX_ASSIGN_OR_RETURN(std::vector<Store> stores, pd_->GetStores());
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& s : stores) store_addresses_[s.id()] = s.address();
    auto it = store_addresses_.find(store_id);
    if (it == store_addresses_.end())
      return Status::Unavailable("unknown store " + std::to_string(store_id));
    address = it->second;
  }
  std::lock_guard<std::mutex> lock(mu_);
  auto& stub = stubs_[address];
  if (!stub) {
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(64 << 20);
    args.SetMaxSendMessageSize(64 << 20);
    stub = KvNode::NewStub(grpc::CreateCustomChannel(address, pd_->channel_credentials(), args));
  }
  return stub.get();
}

Status KvClient::WithRetries(const std::string& what,
                             const std::function<Result<bool>()>& attempt) {
  auto deadline = std::chrono::steady_clock::now() + retry_deadline_;
  std::string last = "no attempt";
  for (int n = 0;; ++n) {
    Result<bool> routing = attempt();
    if (routing.ok() && !*routing) return Status::OK();
    if (!routing.ok() && !routing.status().IsRetryable()) return routing.status();
    last = routing.ok() ? "routing error" : routing.status().message();
    if (std::chrono::steady_clock::now() >= deadline) {
      return Status::Unavailable(what + ": gave up after retries (last: " + last + ")");
    }
    Invalidate();
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min(20 * (n + 1), 500)));
  }
}

Result<std::string> KvClient::NewWriteId() {
  std::lock_guard<std::mutex> lock(id_mu_);
  auto now = std::chrono::steady_clock::now();
  if (id_ts_ == 0 || now - id_ts_taken_ >= kWriteIdPrefixRefresh) {
    BRIX_ASSIGN_OR_RETURN(id_ts_, pd_->GetTs());
    id_ts_taken_ = now;
    id_sequence_ = 0;
  }
  return MakeWriteId(id_ts_, id_sequence_++);
}

Result<std::vector<CommittedBatch>> KvClient::Write(std::vector<KvMutation> mutations) {
  struct Pending {
    KvMutation mutation;
    std::string write_id;  // set once sent in a group: the group stays together under this id
  };
  struct Group {
    Region region;
    std::string write_id;
    std::vector<size_t> members;  // indexes into `pending`
  };
  std::vector<CommittedBatch> done;
  std::vector<Pending> pending;
  for (auto& m : mutations) pending.push_back({std::move(m), ""});
  Status s = WithRetries("write", [&]() -> Result<bool> {
    // A group already sent keeps its id and goes whole to the region of its first key (if its
    // keys now span regions the node answers a region error, which frees them); the rest is
    // grouped by region under new ids.
    std::map<std::string, Group> sent;
    std::map<uint64_t, Group> fresh;
    for (size_t i = 0; i < pending.size(); ++i) {
      const Pending& p = pending[i];
      if (!p.write_id.empty()) {
        Group& g = sent[p.write_id];
        if (g.members.empty()) {
          BRIX_ASSIGN_OR_RETURN(g.region, Locate(p.mutation.key));
          g.write_id = p.write_id;
        }
        g.members.push_back(i);
      } else {
        BRIX_ASSIGN_OR_RETURN(Region r, Locate(p.mutation.key));
        Group& g = fresh[r.id()];
        g.region = r;
        g.members.push_back(i);
      }
    }
    std::vector<Group> groups;
    for (auto& [id, g] : sent) groups.push_back(std::move(g));
    for (auto& [id, g] : fresh) {
      BRIX_ASSIGN_OR_RETURN(g.write_id, NewWriteId());
      for (size_t i : g.members) pending[i].write_id = g.write_id;
      groups.push_back(std::move(g));
    }
    std::vector<bool> finished(pending.size(), false);
    bool routing = false;
    Status failure;
    for (const Group& g : groups) {
      if (routing || !failure.ok()) break;  // the rest waits for the next round
      auto stub = StubFor(g.region.store_id());
      if (!stub.ok()) {
        failure = stub.status();
        break;
      }
      WriteRequest req;
      req.set_region_id(g.region.id());
      req.set_epoch(g.region.epoch());
      req.set_write_id(g.write_id);
      for (size_t i : g.members) {
        const KvMutation& m = pending[i].mutation;
        Mutation* pm = req.add_mutations();
        pm->set_key(m.key);
        pm->set_op(m.is_delete ? DELETE : PUT);
        pm->set_value(m.value);
      }
      WriteResponse resp;
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
      grpc::Status gs = (*stub)->Write(&ctx, req, &resp);
      if (!gs.ok()) {
        // Maybe written: the retry carries the same id and learns the commit ts if it was.
        failure = net::FromGrpc(gs, "write");
        continue;
      }
      if (resp.has_region_error()) {  // not written: regroup under new ids
        routing = true;
        for (size_t i : g.members) pending[i].write_id.clear();
        continue;
      }
      CommittedBatch batch;
      batch.commit_ts = resp.commit_ts();
      for (size_t i : g.members) {
        batch.mutations.push_back(std::move(pending[i].mutation));
        finished[i] = true;
      }
      done.push_back(std::move(batch));
    }
    std::vector<Pending> rest;
    for (size_t i = 0; i < pending.size(); ++i) {
      if (!finished[i]) rest.push_back(std::move(pending[i]));
    }
    pending = std::move(rest);
    if (!failure.ok()) return failure;
    return routing;
  });
  if (!s.ok()) return s;
  return done;
}

Result<std::optional<std::string>> KvClient::Get(const std::string& key, uint64_t ts) {
  std::optional<std::string> out;
  Status s = WithRetries("get", [&]() -> Result<bool> {
    BRIX_ASSIGN_OR_RETURN(Region r, Locate(key));
    BRIX_ASSIGN_OR_RETURN(KvNode::Stub * stub, StubFor(r.store_id()));
    GetRequest req;
    req.set_region_id(r.id());
    req.set_epoch(r.epoch());
    req.set_key(key);
    req.set_ts(ts);
    GetResponse resp;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    BRIX_RETURN_IF_ERROR(net::FromGrpc(stub->Get(&ctx, req, &resp), "get"));
    if (resp.has_region_error()) return true;
    if (resp.found()) out = resp.value();
    return false;
  });
  if (!s.ok()) return s;
  return out;
}

Status KvClient::Scan(const std::string& start, const std::string& end, uint64_t ts,
                      const std::function<bool(const KvPair&)>& visit) {
  std::string cursor = start;
  bool stopped = false;
  while (!stopped && (end.empty() || cursor < end)) {
    bool region_done = false;
    std::string next_cursor;
    Status s = WithRetries("scan", [&]() -> Result<bool> {
      BRIX_ASSIGN_OR_RETURN(Region r, Locate(cursor));
      BRIX_ASSIGN_OR_RETURN(KvNode::Stub * stub, StubFor(r.store_id()));
      ScanRequest req;
      req.set_region_id(r.id());
      req.set_epoch(r.epoch());
      req.set_start_key(cursor);
      req.set_end_key(end);
      req.set_ts(ts);
      req.set_limit(4096);
      ScanResponse resp;
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
      BRIX_RETURN_IF_ERROR(net::FromGrpc(stub->Scan(&ctx, req, &resp), "scan"));
      if (resp.has_region_error()) return true;
      for (const auto& p : resp.pairs()) {
        if (!visit(p)) {
          stopped = true;
          return false;
        }
      }
      if (resp.more() && resp.pairs_size() > 0) {
        next_cursor = resp.pairs(resp.pairs_size() - 1).key();
        next_cursor.push_back('\0');
      } else {
        region_done = true;
        next_cursor = r.end_key();
      }
      return false;
    });
    BRIX_RETURN_IF_ERROR(s);
    if (stopped) break;
    if (region_done && next_cursor.empty()) break;  // the last region
    cursor = next_cursor;
  }
  return Status::OK();
}

Status KvClient::ScanVersions(const std::string& start, const std::string& end, uint64_t from_ts,
                              uint64_t to_ts, const std::function<bool(const Version&)>& visit) {
  std::string cursor = start;
  uint64_t resume_below_ts = 0;  // within the cursor key, versions older than this remain
  bool stopped = false;
  while (!stopped && (end.empty() || cursor < end)) {
    bool region_done = false;
    std::string next_cursor;
    Status s = WithRetries("scan versions", [&]() -> Result<bool> {
      BRIX_ASSIGN_OR_RETURN(Region r, Locate(cursor));
      BRIX_ASSIGN_OR_RETURN(KvNode::Stub * stub, StubFor(r.store_id()));
      ScanVersionsRequest req;
      req.set_region_id(r.id());
      req.set_epoch(r.epoch());
      req.set_start_key(cursor);
      req.set_end_key(end);
      req.set_from_ts(from_ts);
      req.set_to_ts(to_ts);
      req.set_limit(4096);
      ScanVersionsResponse resp;
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
      BRIX_RETURN_IF_ERROR(net::FromGrpc(stub->ScanVersions(&ctx, req, &resp), "scan versions"));
      if (resp.has_region_error()) return true;
      for (const auto& v : resp.versions()) {
        if (resume_below_ts != 0 && v.key() == cursor && v.commit_ts() >= resume_below_ts) continue;
        if (!visit(v)) {
          stopped = true;
          return false;
        }
      }
      if (resp.more() && resp.versions_size() > 0) {
        const Version& last = resp.versions(resp.versions_size() - 1);
        next_cursor = last.key();  // continue inside this key, below the last ts seen
        resume_below_ts = last.commit_ts();
      } else {
        region_done = true;
        next_cursor = r.end_key();
        resume_below_ts = 0;
      }
      return false;
    });
    BRIX_RETURN_IF_ERROR(s);
    if (stopped) break;
    if (region_done && next_cursor.empty()) break;
    cursor = next_cursor;
  }
  return Status::OK();
}

Status KvClient::WaitResolved(uint64_t ts) {
  BRIX_ASSIGN_OR_RETURN(std::vector<Store> stores, pd_->GetStores());
  for (const auto& store : stores) {
    Status s = WithRetries("resolved ts", [&]() -> Result<bool> {
      BRIX_ASSIGN_OR_RETURN(KvNode::Stub * stub, StubFor(store.id()));
      ResolvedTsRequest req;
      req.set_at_least(ts);
      req.set_wait_ms(10'000);
      ResolvedTsResponse resp;
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(15));
      BRIX_RETURN_IF_ERROR(net::FromGrpc(stub->ResolvedTs(&ctx, req, &resp), "resolved ts"));
      return false;
    });
    BRIX_RETURN_IF_ERROR(s);
  }
  return Status::OK();
}

}  // namespace brix::cluster
