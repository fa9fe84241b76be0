#include "etcd/etcd_client.h"

#include <grpcpp/grpcpp.h>

#include <mutex>

#include "etcd/etcd_rpc.grpc.pb.h"
#include "net/grpc_status.h"
#include "net/grpc_tls.h"

namespace brix::etcd {
namespace pb = ::etcdserverpb;

namespace {

KeyValue FromPb(const pb::KeyValue& kv) {
  return KeyValue{kv.key(),          kv.value(),   kv.create_revision(),
                  kv.mod_revision(), kv.version(), kv.lease()};
}

std::string Target(const std::string& endpoint) {
  std::string first = endpoint.substr(0, endpoint.find(','));
  for (const char* scheme : {"http://", "https://"}) {
    if (first.rfind(scheme, 0) == 0) first = first.substr(std::strlen(scheme));
  }
  while (!first.empty() && first.back() == '/') first.pop_back();
  return first;
}

}  // namespace

// etcd refuses an empty key; "\0" with range_end "\0" means "every key".
std::string RangeStart(std::string_view prefix) {
  return prefix.empty() ? std::string(1, '\0') : std::string(prefix);
}

std::string PrefixEnd(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    unsigned char last = static_cast<unsigned char>(end.back());
    if (last < 0xff) {
      end.back() = static_cast<char>(last + 1);
      return end;
    }
    end.pop_back();
  }
  return std::string(1, '\0');  // all keys
}

struct EtcdClient::Impl {
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<pb::KV::Stub> kv;
  std::unique_ptr<pb::Lease::Stub> lease;
  std::unique_ptr<pb::Watch::Stub> watch;
  Options options;

  void Prepare(grpc::ClientContext* ctx) const {
    ctx->set_deadline(std::chrono::system_clock::now() + options.timeout);
  }
};

struct Watch::State {
  std::mutex mu;
  Status error;
  grpc::ClientContext ctx;
};

EtcdClient::EtcdClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
EtcdClient::~EtcdClient() = default;

Result<std::unique_ptr<EtcdClient>> EtcdClient::Connect(const std::string& endpoint,
                                                        Options options) {
  std::string target = Target(endpoint);
  if (target.empty()) return Status::InvalidArgument("--etcd: empty endpoint");
  auto impl = std::make_unique<Impl>();
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 10'000);
  BRIX_ASSIGN_OR_RETURN(auto credentials, net::ChannelCredentials());
  impl->channel = grpc::CreateCustomChannel(target, credentials, args);
  impl->kv = pb::KV::NewStub(impl->channel);
  impl->lease = pb::Lease::NewStub(impl->channel);
  impl->watch = pb::Watch::NewStub(impl->channel);
  impl->options = options;
  return std::unique_ptr<EtcdClient>(new EtcdClient(std::move(impl)));
}

Result<RangeResult> EtcdClient::Range(std::string_view key, std::string_view range_end,
                                      int64_t limit, int64_t revision) {
  pb::RangeRequest req;
  req.set_key(std::string(key));
  req.set_range_end(std::string(range_end));
  req.set_limit(limit);
  req.set_revision(revision);
  pb::RangeResponse resp;
  grpc::ClientContext ctx;
  impl_->Prepare(&ctx);
  BRIX_RETURN_IF_ERROR(net::FromGrpc(impl_->kv->Range(&ctx, req, &resp), "etcd range"));
  RangeResult out;
  for (const auto& kv : resp.kvs()) out.kvs.push_back(FromPb(kv));
  out.revision = resp.header().revision();
  out.more = resp.more();
  return out;
}

Result<std::optional<KeyValue>> EtcdClient::Get(std::string_view key) {
  BRIX_ASSIGN_OR_RETURN(RangeResult r, Range(key, ""));
  if (r.kvs.empty()) return std::optional<KeyValue>();
  return std::optional<KeyValue>(std::move(r.kvs.front()));
}

Result<RangeResult> EtcdClient::GetPrefix(std::string_view prefix, int64_t limit,
                                          int64_t revision) {
  return Range(RangeStart(prefix), PrefixEnd(prefix), limit, revision);
}

Result<int64_t> EtcdClient::Put(std::string_view key, std::string_view value, int64_t lease) {
  pb::PutRequest req;
  req.set_key(std::string(key));
  req.set_value(std::string(value));
  req.set_lease(lease);
  pb::PutResponse resp;
  grpc::ClientContext ctx;
  impl_->Prepare(&ctx);
  BRIX_RETURN_IF_ERROR(net::FromGrpc(impl_->kv->Put(&ctx, req, &resp), "etcd put"));
  return resp.header().revision();
}

Result<int64_t> EtcdClient::Delete(std::string_view key) {
  pb::DeleteRangeRequest req;
  req.set_key(std::string(key));
  pb::DeleteRangeResponse resp;
  grpc::ClientContext ctx;
  impl_->Prepare(&ctx);
  BRIX_RETURN_IF_ERROR(net::FromGrpc(impl_->kv->DeleteRange(&ctx, req, &resp), "etcd delete"));
  return resp.deleted();
}

Result<int64_t> EtcdClient::DeletePrefix(std::string_view prefix) {
  pb::DeleteRangeRequest req;
  req.set_key(RangeStart(prefix));
  req.set_range_end(PrefixEnd(prefix));
  pb::DeleteRangeResponse resp;
  grpc::ClientContext ctx;
  impl_->Prepare(&ctx);
  BRIX_RETURN_IF_ERROR(
      net::FromGrpc(impl_->kv->DeleteRange(&ctx, req, &resp), "etcd delete prefix"));
  return resp.deleted();
}

namespace {
// A transaction that only applies if `key`'s mod revision is `expected` (0: key absent).
pb::TxnRequest ModRevisionGuard(std::string_view key, int64_t expected) {
  pb::TxnRequest req;
  pb::Compare* cmp = req.add_compare();
  cmp->set_key(std::string(key));
  cmp->set_target(pb::Compare::MOD);
  cmp->set_result(pb::Compare::EQUAL);
  cmp->set_mod_revision(expected);
  return req;
}
}  // namespace

Result<int64_t> EtcdClient::PutIfModRevision(std::string_view key, std::string_view value,
                                             int64_t expected_mod_revision, int64_t lease) {
  pb::TxnRequest req = ModRevisionGuard(key, expected_mod_revision);
  pb::PutRequest* put = req.add_success()->mutable_request_put();
  put->set_key(std::string(key));
  put->set_value(std::string(value));
  put->set_lease(lease);
  pb::RangeRequest* current = req.add_failure()->mutable_request_range();
  current->set_key(std::string(key));
  current->set_keys_only(true);
  pb::TxnResponse resp;
  grpc::ClientContext ctx;
  impl_->Prepare(&ctx);
  BRIX_RETURN_IF_ERROR(net::FromGrpc(impl_->kv->Txn(&ctx, req, &resp), "etcd compare-and-put"));
  if (!resp.succeeded()) {
    int64_t now = 0;
    if (resp.responses_size() > 0 && resp.responses(0).response_range().kvs_size() > 0) {
      now = resp.responses(0).response_range().kvs(0).mod_revision();
    }
    return Status::FailedPrecondition("etcd key '" + std::string(key) + "' is at revision " +
                                      std::to_string(now) + ", expected " +
                                      std::to_string(expected_mod_revision));
  }
  return resp.header().revision();
}

Status EtcdClient::DeleteIfModRevision(std::string_view key, int64_t expected_mod_revision) {
  pb::TxnRequest req = ModRevisionGuard(key, expected_mod_revision);
  req.add_success()->mutable_request_delete_range()->set_key(std::string(key));
  pb::TxnResponse resp;
  grpc::ClientContext ctx;
  impl_->Prepare(&ctx);
  BRIX_RETURN_IF_ERROR(net::FromGrpc(impl_->kv->Txn(&ctx, req, &resp), "etcd compare-and-delete"));
  if (!resp.succeeded()) {
    return Status::FailedPrecondition("etcd key '" + std::string(key) +
                                      "' changed (expected revision " +
                                      std::to_string(expected_mod_revision) + ")");
  }
  return Status::OK();
}

Result<int64_t> EtcdClient::CommitIf(const std::vector<Guard>& guards,
                                     const std::vector<std::pair<std::string, std::string>>& puts,
                                     const std::vector<std::string>& deletes) {
  pb::TxnRequest req;
  std::string keys;
  for (const auto& g : guards) {
    pb::Compare* cmp = req.add_compare();
    cmp->set_key(g.key);
    cmp->set_result(pb::Compare::EQUAL);
    if (g.create_revision) {
      cmp->set_target(pb::Compare::CREATE);
      cmp->set_create_revision(g.revision);
    } else {
      cmp->set_target(pb::Compare::MOD);
      cmp->set_mod_revision(g.revision);
    }
    keys += (keys.empty() ? "'" : ", '") + g.key + "'";
  }
  for (const auto& [key, value] : puts) {
    pb::PutRequest* put = req.add_success()->mutable_request_put();
    put->set_key(key);
    put->set_value(value);
  }
  for (const auto& key : deletes) req.add_success()->mutable_request_delete_range()->set_key(key);
  pb::TxnResponse resp;
  grpc::ClientContext ctx;
  impl_->Prepare(&ctx);
  BRIX_RETURN_IF_ERROR(net::FromGrpc(impl_->kv->Txn(&ctx, req, &resp), "etcd guarded commit"));
  if (!resp.succeeded()) {
    return Status::FailedPrecondition("etcd keys " + keys + " changed; nothing was written");
  }
  return resp.header().revision();
}

Result<int64_t> EtcdClient::GrantLease(std::chrono::seconds ttl) {
  pb::LeaseGrantRequest req;
  req.set_ttl(ttl.count());
  pb::LeaseGrantResponse resp;
  grpc::ClientContext ctx;
  impl_->Prepare(&ctx);
  BRIX_RETURN_IF_ERROR(
      net::FromGrpc(impl_->lease->LeaseGrant(&ctx, req, &resp), "etcd lease grant"));
  if (!resp.error().empty()) return Status::Unavailable("etcd lease grant: " + resp.error());
  return resp.id();
}

Status EtcdClient::KeepAliveOnce(int64_t lease) {
  grpc::ClientContext ctx;
  impl_->Prepare(&ctx);
  auto stream = impl_->lease->LeaseKeepAlive(&ctx);
  pb::LeaseKeepAliveRequest req;
  req.set_id(lease);
  pb::LeaseKeepAliveResponse resp;
  if (!stream->Write(req) || !stream->Read(&resp)) {
    stream->WritesDone();
    return net::FromGrpc(stream->Finish(), "etcd lease keepalive");
  }
  stream->WritesDone();
  stream->Finish().ok();  // the keepalive already succeeded; the close status does not matter
  if (resp.ttl() <= 0) {
    return Status::NotFound("etcd lease " + std::to_string(lease) + " has expired");
  }
  return Status::OK();
}

Status EtcdClient::RevokeLease(int64_t lease) {
  pb::LeaseRevokeRequest req;
  req.set_id(lease);
  pb::LeaseRevokeResponse resp;
  grpc::ClientContext ctx;
  impl_->Prepare(&ctx);
  return net::FromGrpc(impl_->lease->LeaseRevoke(&ctx, req, &resp), "etcd lease revoke");
}

Result<std::unique_ptr<Watch>> EtcdClient::WatchPrefix(std::string_view prefix,
                                                       int64_t start_revision,
                                                       WatchCallback callback) {
  auto watch = std::unique_ptr<Watch>(new Watch());
  watch->state_ = std::make_shared<Watch::State>();
  auto state = watch->state_;
  auto stream = std::shared_ptr<grpc::ClientReaderWriter<pb::WatchRequest, pb::WatchResponse>>(
      impl_->watch->Watch(&state->ctx));
  pb::WatchRequest req;
  pb::WatchCreateRequest* create = req.mutable_create_request();
  create->set_key(RangeStart(prefix));
  create->set_range_end(PrefixEnd(prefix));
  create->set_start_revision(start_revision);
  if (!stream->Write(req)) return net::FromGrpc(stream->Finish(), "etcd watch");
  pb::WatchResponse first;
  if (!stream->Read(&first)) return net::FromGrpc(stream->Finish(), "etcd watch");
  if (first.canceled()) {
    std::string why = first.compact_revision() > 0
                          ? "revision " + std::to_string(start_revision) +
                                " was compacted (oldest is " +
                                std::to_string(first.compact_revision()) + ")"
                          : first.cancel_reason();
    return Status::FailedPrecondition("etcd watch: " + why);
  }
  std::atomic<bool>* running = &watch->running_;
  watch->thread_ = std::thread([stream, state, running, callback = std::move(callback)] {
    pb::WatchResponse resp;
    while (stream->Read(&resp)) {
      if (resp.canceled()) {
        std::lock_guard<std::mutex> lock(state->mu);
        state->error = Status::FailedPrecondition("etcd watch canceled: " + resp.cancel_reason());
        break;
      }
      if (resp.events_size() == 0) continue;
      std::vector<Event> events;
      for (const auto& e : resp.events()) {
        Event ev;
        ev.type = e.type() == pb::Event::DELETE ? Event::Type::kDelete : Event::Type::kPut;
        ev.kv = FromPb(e.kv());
        events.push_back(std::move(ev));
      }
      if (!callback(events)) break;
    }
    state->ctx.TryCancel();
    grpc::Status s = stream->Finish();
    {
      std::lock_guard<std::mutex> lock(state->mu);
      if (state->error.ok() && !s.ok() && s.error_code() != grpc::StatusCode::CANCELLED) {
        state->error = net::FromGrpc(s, "etcd watch");
      }
    }
    running->store(false);
  });
  return watch;
}

Watch::~Watch() {
  if (state_) state_->ctx.TryCancel();
  if (thread_.joinable()) thread_.join();
}

Status Watch::error() {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->error;
}

}  // namespace brix::etcd
