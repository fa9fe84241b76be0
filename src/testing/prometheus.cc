#include "testing/prometheus.h"

#include <httplib.h>

#include "common/durable_file.h"
#include "common/net_util.h"

namespace brix::testing {

bool PrometheusServer::Available() {
  auto r = RunCommand({"sh", "-c", "command -v prometheus"});
  return r.ok() && r->exit_code == 0;
}

Result<std::unique_ptr<PrometheusServer>> PrometheusServer::Start(
    const std::string& dir, const std::string& config, std::chrono::milliseconds timeout) {
  BRIX_RETURN_IF_ERROR(WriteFileDurably(dir + "/prometheus.yml", config, 0600));
  std::unique_ptr<PrometheusServer> p(new PrometheusServer());
  BRIX_ASSIGN_OR_RETURN(p->port_, FreeLoopbackPort());
  BRIX_ASSIGN_OR_RETURN(
      p->process_,
      ChildProcess::Start({"prometheus", "--config.file=" + dir + "/prometheus.yml",
                           "--storage.tsdb.path=" + dir + "/data",
                           "--web.listen-address=127.0.0.1:" + std::to_string(p->port_)},
                          {}, dir + "/prometheus.log"));
  httplib::Client client("127.0.0.1", p->port_);
  if (!PollUntil(
          [&] {
            auto r = client.Get("/-/ready");
            return r && r->status == 200;
          },
          timeout, std::chrono::milliseconds(100))) {
    return Status::Unavailable("prometheus did not become ready; see " + dir + "/prometheus.log");
  }
  return p;
}

Result<nlohmann::json> PrometheusServer::Query(const std::string& expr) const {
  httplib::Client client("127.0.0.1", port_);
  auto r = client.Get("/api/v1/query", httplib::Params{{"query", expr}}, httplib::Headers{});
  if (!r) return Status::Unavailable("prometheus query: no answer");
  auto j = nlohmann::json::parse(r->body, nullptr, false);
  if (j.is_discarded() || j.value("status", "") != "success") {
    return Status::Internal("prometheus query " + expr + ": " + r->body);
  }
  return j["data"]["result"];
}

std::string PrometheusServer::Targets() const {
  httplib::Client client("127.0.0.1", port_);
  auto r = client.Get("/api/v1/targets");
  return r ? r->body : "no answer";
}

}  // namespace brix::testing
