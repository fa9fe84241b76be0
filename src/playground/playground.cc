#include "playground/playground.h"

#include <signal.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <nlohmann/json.hpp>

#include "cluster/client/pd_client.h"
#include "common/durable_file.h"
#include "common/encoding.h"
#include "common/net_util.h"
#include "common/process.h"
#include "common/random.h"
#include "common/sealed_box.h"
#include "net/grpc_tls.h"
#include "net/tls_certs.h"
#include "operator/client/http_client.h"
#include "playground/commands.h"
#include "playground/operator_setup.h"

namespace brix::playground {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// The Entra identity of azblob-secret-ad (made-up ids; the secret is random per playground).
constexpr char kPlaygroundTenant[] = "00000000-0000-4000-8000-00000000b71c";
constexpr char kPlaygroundClientId[] = "00000000-0000-4000-8000-0000000c11e7";

constexpr const char* kAzuriteKey =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

bool Alive(pid_t pid) {
  if (pid <= 0) return false;
  ::waitpid(pid, nullptr, WNOHANG);  // reap if it is our child and exited
  if (::kill(pid, 0) != 0) return false;
  // A dead process whose parent has not reaped it yet is a zombie: not alive.
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string pid_field, comm, state;
  stat >> pid_field >> comm >> state;
  return state != "Z";
}

void StopPid(pid_t pid) {
  if (!Alive(pid)) return;
  ::kill(pid, SIGTERM);
  if (!PollUntil([&] { return !Alive(pid); }, std::chrono::seconds(10))) {
    ::kill(pid, SIGKILL);
    PollUntil([&] { return !Alive(pid); }, std::chrono::seconds(5));
  }
}

Result<json> ReadState(const std::string& dir) {
  std::ifstream in(dir + "/playground.json");
  if (!in) return Status::NotFound("no playground in " + dir);
  json j = json::parse(in, nullptr, false);
  if (j.is_discarded()) return Status::Corruption(dir + "/playground.json is not valid JSON");
  return j;
}

// playground.json and playground.env hold the storage credentials: owner only, crash-safe.
Status WriteStateFile(const std::string& path, const std::string& content) {
  return WriteFileDurably(path, content, 0600);
}

// Appends --status-addr on a free loopback port to `argv` and that address to `list` (a comma
// list).
Status AddStatusAddr(std::vector<std::string>& argv, const std::function<Result<int>()>& port,
                     std::string& list) {
  BRIX_ASSIGN_OR_RETURN(int p, port());
  std::string address = "127.0.0.1:" + std::to_string(p);
  argv.insert(argv.end(), {"--status-addr", address});
  list += (list.empty() ? "" : ",") + address;
  return Status::OK();
}

// Starts one process described by `p` (role, argv, port) and waits until its port answers.
// A process without a port (the operator) is up once its log says `ready`.
Status Launch(json& p, const std::string& dir, const std::string& ready = "") {
  std::vector<std::string> argv = p["argv"].get<std::vector<std::string>>();
  std::string log = dir + "/logs/" + p["role"].get<std::string>() + ".log";
  std::map<std::string, std::string> env;
  if (p.contains("env")) env = p["env"].get<std::map<std::string, std::string>>();
  BRIX_ASSIGN_OR_RETURN(ChildProcess child,
                        ChildProcess::Start(argv, env, log, /*die_with_parent=*/false));
  pid_t pid = child.pid();
  child.Release();  // the playground outlives this command
  p["pid"] = pid;
  int port = p["port"].get<int>();
  auto up = [&] {
    if (port > 0) return WaitForPort(port, std::chrono::milliseconds(100));
    std::ifstream in(log);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return text.find(ready) != std::string::npos;
  };
  if (!PollUntil([&] { return !Alive(pid) || up(); }, std::chrono::seconds(60)) || !Alive(pid)) {
    return Status::Unavailable(p["role"].get<std::string>() + " did not start (log: " + log +
                               "); its last lines:\n" + LogTail(log));
  }
  return Status::OK();
}

// `tls`: the playground's own files, not whatever BRIX_TLS_* this command runs with.
Status WaitForCluster(const std::string& pd, size_t nodes, const net::TlsFiles& tls) {
  net::TlsConfig config{tls, false};
  BRIX_ASSIGN_OR_RETURN(auto client,
                        cluster::PdClient::Connect(pd, std::chrono::seconds(30), &config));
  BRIX_RETURN_IF_ERROR(client->GetTs().status());
  bool ready = PollUntil(
      [&] {
        auto stores = client->GetStores();
        return stores.ok() && stores->size() >= nodes;
      },
      std::chrono::seconds(60), std::chrono::milliseconds(100));
  if (!ready) return Status::Unavailable("kvnodes did not register with kvpd in time");
  return Status::OK();
}

// Creates (or refreshes) the seed's Secret through brixd's API, as `kubectl create secret` would.
// In every namespace of `namespaces`.
Status CreateSeedSecret(const std::string& dir, const json& env, int brixd_port,
                        const std::vector<std::string>& namespaces) {
  BRIX_ASSIGN_OR_RETURN(client::HttpClientOptions o, BrixdAdminOptions(dir, brixd_port));
  client::HttpApiClient api(o);
  auto data_of = [&](std::vector<std::string> keys) {
    json data = json::object();
    for (const auto& k : keys) {
      if (env.contains(k)) data[k] = Base64Encode(env[k].get<std::string>());
    }
    return data;
  };
  // azblob-secret: the account key. azblob-secret-ad: Entra client credentials, answered by the
  // playground's token endpoint, so the seed's AD examples authenticate with bearer tokens.
  std::map<std::string, json> secrets = {
      {kSeedSecret,
       data_of({"AZURE_STORAGE_ACCOUNT", "AZURE_STORAGE_KEY", "AZURE_STORAGE_ENDPOINT"})},
      {std::string(kSeedSecret) + "-ad",
       data_of({"AZURE_STORAGE_ACCOUNT", "AZURE_STORAGE_ENDPOINT", "AZURE_CLIENT_ID",
                "AZURE_TENANT_ID", "AZURE_CLIENT_SECRET", "AZURE_AUTHORITY_HOST"})}};
  json secret = {
      {"apiVersion", "v1"}, {"kind", "Secret"}, {"type", "Opaque"}, {"metadata", json::object()}};
  for (const std::string& ns : namespaces) {
    for (const auto& [name, data] : secrets) {
      secret["metadata"] = {{"name", name}, {"namespace", ns}};
      secret["data"] = data;
      auto created = api.Create(client::Secrets(), ns, secret);
      if (created.ok()) continue;
      if (!created.status().IsAlreadyExists()) return created.status();
      auto current = api.Get(client::Secrets(), ns, name);
      if (!current.ok()) return current.status();
      (*current)["data"] = data;
      BRIX_RETURN_IF_ERROR(api.Update(client::Secrets(), *current).status());
    }
  }
  return Status::OK();
}

// Adds the Entra token endpoint (tools/token-endpoint, HTTPS with the playground's certificate)
// to `state`'s processes, with a fresh random client secret in DIR/entra/client-secret (0600,
// never on a command line). Returns the variables of azblob-secret-ad beyond the account.
Result<json> StartEntraProcess(const std::string& dir, const net::TlsFiles& tls,
                               const std::function<Result<int>()>& port, json& state) {
  BRIX_ASSIGN_OR_RETURN(int p, port());
  std::error_code ec;
  fs::create_directories(dir + "/entra", ec);
  if (ec) return Status::IOError("create " + dir + "/entra: " + ec.message());
  const std::string secret = HexEncode(RandomBytes16()) + HexEncode(RandomBytes16());
  const std::string secret_file = dir + "/entra/client-secret";
  BRIX_RETURN_IF_ERROR(WriteStateFile(secret_file, secret));
  state["processes"].push_back(
      {{"role", "entra"},
       {"port", p},
       {"argv",
        TokenEndpointCommand(p, kPlaygroundTenant, kPlaygroundClientId, secret_file, tls)}});
  return json{{"AZURE_CLIENT_ID", kPlaygroundClientId},
              {"AZURE_TENANT_ID", kPlaygroundTenant},
              {"AZURE_CLIENT_SECRET", secret},
              {"AZURE_AUTHORITY_HOST", "https://127.0.0.1:" + std::to_string(p)}};
}

}  // namespace

Status Up(const Options& o) {
  if (o.dir.empty()) return Status::InvalidArgument("--dir is required");
  if (o.nodes < 1 || o.nodes > 32) return Status::InvalidArgument("--nodes: must be 1 to 32");
  if (o.pds < 1 || o.pds > 5) return Status::InvalidArgument("--pds: must be 1 to 5");
  if (o.clusters < 1 || o.clusters > 2)
    return Status::InvalidArgument("--clusters: must be 1 or 2");
  std::error_code ec;
  fs::create_directories(o.dir + "/logs", ec);
  if (ec) return Status::IOError("create " + o.dir + ": " + ec.message());
  std::string dir = fs::canonical(o.dir).string();
  // Seals the storage credentials log tasks forward to the nodes; shared by every kvpd and
  // kvnode of the playground, kept across restarts (etcd holds data sealed under it).
  const std::string credential_key = dir + "/credential.key";
  BRIX_RETURN_IF_ERROR(EnsureCredentialKeyFile(credential_key));

  auto existing = ReadState(dir);
  json state;
  // The cluster's CA and certificate (kept when they exist: a restart keeps its identity, and
  // uses the folder the playground was first made with).
  std::string tls_dir = o.tls_dir.empty() ? dir + "/tls" : fs::absolute(o.tls_dir).string();
  if (existing.ok() && existing->contains("tls_dir")) tls_dir = (*existing)["tls_dir"];
  BRIX_ASSIGN_OR_RETURN(net::TlsFiles tls, net::WriteClusterTls(tls_dir));
  if (existing.ok()) {
    state = *existing;  // restart what died, keep what runs
    bool has_brixd = false, has_azurite = false, has_operator = false;
    for (auto& p : state["processes"]) {
      has_brixd = has_brixd || p["role"] == "brixd";
      has_operator = has_operator || p["role"] == "operator";
      has_azurite = has_azurite || p["role"] == "azurite";
    }
    if ((o.brixd && !has_brixd) || (o.azurite && !has_azurite) ||
        (o.external_operator && !has_operator)) {
      return Status::FailedPrecondition(
          "a playground already runs in " + dir +
          " without --brixd/--azurite/--external-operator; run `brix playground down --dir " + dir +
          "` first");
    }
  } else {
    // Fresh playground: fix ports and command lines once; restarts reuse them.
    auto port = [&]() -> Result<int> { return FreeLoopbackPort(); };
    BRIX_ASSIGN_OR_RETURN(int etcd_port, port());
    BRIX_ASSIGN_OR_RETURN(int etcd_peer, port());
    std::string etcd = EtcdEndpoint(etcd_port);
    state["processes"] = json::array();
    state["tls_dir"] = tls_dir;
    state["processes"].push_back({{"role", "etcd"},
                                  {"port", etcd_port},
                                  {"argv", EtcdCommand(dir + "/etcd", etcd_port, etcd_peer, tls)}});
    std::string pd_list, pd_status, node_status;
    for (int i = 1; i <= o.pds; ++i) {
      BRIX_ASSIGN_OR_RETURN(int p, port());
      pd_list += (pd_list.empty() ? "" : ",") + std::string("127.0.0.1:") + std::to_string(p);
      std::vector<std::string> argv = KvpdCommand(etcd, p, tls, credential_key);
      BRIX_RETURN_IF_ERROR(AddStatusAddr(argv, port, pd_status));
      state["processes"].push_back(
          {{"role", "kvpd-" + std::to_string(i)}, {"port", p}, {"argv", argv}});
    }
    for (int i = 1; i <= o.nodes; ++i) {
      BRIX_ASSIGN_OR_RETURN(int p, port());
      std::vector<std::string> argv =
          KvnodeCommand(pd_list, p, dir + "/kvnode-" + std::to_string(i), tls,
                        {o.log_flush_interval_ms, o.test_log_buffer_fault_file, credential_key});
      BRIX_RETURN_IF_ERROR(AddStatusAddr(argv, port, node_status));
      state["processes"].push_back(
          {{"role", "kvnode-" + std::to_string(i)}, {"port", p}, {"argv", argv}});
    }
    state["env"] = {{"BRIX_PD", pd_list}, {"BRIX_ETCD", etcd}};
    // Status ports (GET /metrics, docs/metrics.md) of the source cluster's kvpds and kvnodes.
    state["env"]["BRIX_KVPD_STATUS"] = pd_status;
    state["env"]["BRIX_KVNODE_STATUS"] = node_status;
    for (const auto& [k, v] : net::TlsEnv(net::TlsConfig{tls, false})) state["env"][k] = v;
    std::vector<std::string> clusters = {std::string(kSeedNamespace) + "/demo1=" + pd_list};
    if (o.clusters == 2) {
      // The restore target: a cluster of its own, with its own etcd.
      BRIX_ASSIGN_OR_RETURN(int etcd2_port, port());
      BRIX_ASSIGN_OR_RETURN(int etcd2_peer, port());
      BRIX_ASSIGN_OR_RETURN(int pd2_port, port());
      std::string etcd2 = EtcdEndpoint(etcd2_port);
      std::string pd2 = "127.0.0.1:" + std::to_string(pd2_port);
      state["processes"].push_back(
          {{"role", "demo2-etcd"},
           {"port", etcd2_port},
           {"argv", EtcdCommand(dir + "/demo2-etcd", etcd2_port, etcd2_peer, tls)}});
      state["processes"].push_back({{"role", "demo2-kvpd-1"},
                                    {"port", pd2_port},
                                    {"argv", KvpdCommand(etcd2, pd2_port, tls, credential_key)}});
      for (int i = 1; i <= o.nodes; ++i) {
        BRIX_ASSIGN_OR_RETURN(int p, port());
        std::string name = "demo2-kvnode-" + std::to_string(i);
        state["processes"].push_back(
            {{"role", name},
             {"port", p},
             {"argv", KvnodeCommand(pd2, p, dir + "/" + name, tls,
                                    {o.log_flush_interval_ms, "", credential_key})}});
      }
      state["env"]["BRIX_PD_DEMO2"] = pd2;
      clusters.push_back(std::string(kSeedNamespace) + "/demo2=" + pd2);
      // The restore document restores into demo2 in its own namespace.
      clusters.push_back(std::string(kRestoreNamespace) + "/demo2=" + pd2);
    }
    if (o.brixd) {
      BRIX_ASSIGN_OR_RETURN(int p, port());
      state["processes"].push_back(
          {{"role", "brixd"},
           {"port", p},
           {"argv", BrixdCommand(etcd, p, dir + "/brixd", dir + "/kubeconfig", clusters)},
           // brixd reaches etcd and the kvpds, and passes these on to its jobs.
           {"env", net::TlsEnv(net::TlsConfig{tls, false})}});
      state["env"]["KUBECONFIG"] = dir + "/kubeconfig";
      // brixd serves /metrics on its API port, with the API's TLS and token (docs/metrics.md).
      state["env"]["BRIX_BRIXD_METRICS"] = "https://127.0.0.1:" + std::to_string(p) + "/metrics";
      if (o.external_operator) {
        state["processes"].back()["argv"].push_back("--external-operator");
        // Launched once brixd is up and its Secrets exist (below); reads log checkpoints
        // from the kvpds with the cluster's TLS.
        state["processes"].push_back({{"role", "operator"},
                                      {"port", 0},
                                      {"argv", OperatorCommand(dir, clusters)},
                                      {"env", net::TlsEnv(net::TlsConfig{tls, false})}});
      }
    }
    if (o.azurite) {
      BRIX_ASSIGN_OR_RETURN(int p, port());
      // With brixd (the seed's story), Azurite serves HTTPS with OAuth, as Azure does, so the
      // seed's AD examples authenticate with Entra bearer tokens; its certificate is the
      // playground's own, trusted through BRIX_CA_FILE. Without brixd it stays plain HTTP.
      const bool oauth = o.brixd;
      const std::string scheme = oauth ? "https" : "http";
      state["processes"].push_back(
          {{"role", "azurite"},
           {"port", p},
           {"argv",
            oauth ? AzuriteCommand(p, tls.cert_file, tls.key_file, true) : AzuriteCommand(p)}});
      std::string endpoint = scheme + "://127.0.0.1:" + std::to_string(p) + "/devstoreaccount1";
      state["env"]["AZURE_STORAGE_ACCOUNT"] = "devstoreaccount1";
      state["env"]["AZURE_STORAGE_KEY"] = kAzuriteKey;
      state["env"]["AZURE_STORAGE_CONNECTION_STRING"] =
          "DefaultEndpointsProtocol=" + scheme +
          ";AccountName=devstoreaccount1;AccountKey=" + kAzuriteKey + ";BlobEndpoint=" + endpoint +
          ";";
      state["env"]["AZURE_STORAGE_ENDPOINT"] = endpoint;
      std::vector<std::string> node_keys = {"AZURE_STORAGE_ACCOUNT", "AZURE_STORAGE_KEY",
                                            "AZURE_STORAGE_CONNECTION_STRING"};
      if (oauth) {
        BRIX_ASSIGN_OR_RETURN(json entra, StartEntraProcess(dir, tls, port, state));
        state["entra"] = entra;
        state["env"]["BRIX_CA_FILE"] = tls.ca_file;
        node_keys.push_back("BRIX_CA_FILE");
        for (auto& proc : state["processes"]) {
          if (proc["role"] == "brixd") proc["env"]["BRIX_CA_FILE"] = tls.ca_file;  // its jobs'
        }
      }
      // Nodes get the account too, as TiKV pods get the Secret (envFrom) in the seed's Azure AD
      // setup: backups with `sendCredToTikv: false` then work. With OAuth they get the Entra
      // client credentials as well, which take precedence over the key (azure_config.h).
      for (auto& proc : state["processes"]) {
        std::string role = proc["role"].get<std::string>();
        if (role.find("kvnode-") == std::string::npos) continue;
        for (const auto& k : node_keys) proc["env"][k] = state["env"][k];
        if (state.contains("entra")) {
          for (auto& [k, v] : state["entra"].items()) proc["env"][k] = v;
        }
      }
    }
  }

  Status s;
  size_t nodes = 0, nodes2 = 0;
  int brixd_port = 0;
  for (auto& p : state["processes"]) {
    if (p["role"].get<std::string>().rfind("kvnode-", 0) == 0) ++nodes;
    if (p["role"].get<std::string>().rfind("demo2-kvnode-", 0) == 0) ++nodes2;
    if (p["role"] == "brixd") brixd_port = p["port"].get<int>();
    if (p["role"] == "operator") continue;  // after brixd's Secrets, below
    if (p.contains("pid") && Alive(p["pid"].get<pid_t>())) continue;
    s = Launch(p, dir);
    if (!s.ok()) break;
    BRIX_RETURN_IF_ERROR(WriteStateFile(dir + "/playground.json", state.dump(2)));
  }
  if (s.ok()) s = WaitForCluster(state["env"]["BRIX_PD"].get<std::string>(), nodes, tls);
  if (s.ok() && nodes2 > 0) {
    s = WaitForCluster(state["env"]["BRIX_PD_DEMO2"].get<std::string>(), nodes2, tls);
  }
  if (s.ok() && brixd_port > 0 && state["env"].contains("AZURE_STORAGE_ENDPOINT")) {
    json ad = state["env"];
    if (state.contains("entra")) ad.update(state["entra"]);
    std::vector<std::string> namespaces = {kSeedNamespace};
    if (nodes2 > 0) namespaces.push_back(kRestoreNamespace);
    s = CreateSeedSecret(dir, ad, brixd_port, namespaces);
  }
  for (auto& p : state["processes"]) {
    if (!s.ok() || p["role"] != "operator") continue;
    if (p.contains("pid") && Alive(p["pid"].get<pid_t>())) continue;
    s = PrepareExternalOperator(dir, brixd_port);
    if (s.ok()) s = Launch(p, dir, "controllers running");
    if (s.ok()) s = WriteStateFile(dir + "/playground.json", state.dump(2));
  }
  if (!s.ok()) {
    if (!existing.ok()) {  // a fresh playground that failed: leave nothing half-started
      for (auto& p : state["processes"]) {
        if (p.contains("pid")) StopPid(p["pid"].get<pid_t>());
      }
      fs::remove(dir + "/playground.json", ec);
      fs::remove(dir + "/playground.env", ec);
    }
    return s;
  }
  std::string env;
  // Quoted: values such as the connection string hold ';', which a shell sourcing the file
  // would take as a command separator.
  for (auto& [k, v] : state["env"].items()) env += k + "='" + v.get<std::string>() + "'\n";
  BRIX_RETURN_IF_ERROR(WriteStateFile(dir + "/playground.json", state.dump(2)));
  return WriteStateFile(dir + "/playground.env", env);
}

Status Down(const std::string& dir) {
  BRIX_ASSIGN_OR_RETURN(json state, ReadState(dir));
  // Stop clients of etcd before etcd: nodes, then kvpd, then the rest.
  auto& procs = state["processes"];
  for (const char* prefix : {"operator", "brixd", "kvnode-", "demo2-kvnode-", "kvpd-",
                             "demo2-kvpd-", "azurite", "entra", "etcd", "demo2-etcd"}) {
    for (auto& p : procs) {
      if (p["role"].get<std::string>().rfind(prefix, 0) == 0 && p.contains("pid")) {
        StopPid(p["pid"].get<pid_t>());
      }
    }
  }
  std::error_code ec;
  fs::remove(dir + "/playground.json", ec);
  fs::remove(dir + "/playground.env", ec);
  return Status::OK();
}

}  // namespace brix::playground
