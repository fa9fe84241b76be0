#include "playground/ui_url.h"

#include <fstream>
#include <nlohmann/json.hpp>

#include "net/http_transport.h"

namespace brix::playground {

Result<std::string> UiLoginUrl(const std::string& dir) {
  std::ifstream state_in(dir + "/playground.json");
  auto state = nlohmann::json::parse(state_in, nullptr, false);
  if (state.is_discarded()) return Status::NotFound("no playground in " + dir);
  int port = 0;
  for (const auto& p : state.value("processes", nlohmann::json::array())) {
    if (p.value("role", "") == "brixd") port = p.value("port", 0);
  }
  if (port == 0) {
    return Status::NotFound("the playground in " + dir + " has no brixd (start it with --brixd)");
  }
  std::ifstream token_in(dir + "/brixd/token");
  std::string token;
  token_in >> token;
  if (token.empty()) return Status::NotFound("brixd wrote no token in " + dir + "/brixd");
  net::CurlOptions options;
  options.ca_file = dir + "/brixd/tls.crt";
  net::CurlTransport transport(options);
  const std::string origin = "https://127.0.0.1:" + std::to_string(port);
  net::HttpRequest request;
  request.method = "POST";
  request.url = origin + "/ui/codes";
  request.headers = {{"Authorization", "Bearer " + token}};
  request.timeout = std::chrono::seconds(10);
  BRIX_ASSIGN_OR_RETURN(net::HttpResponse response, transport.Send(request));
  auto body = nlohmann::json::parse(response.body, nullptr, false);
  if (response.status != 201 || !body.is_object() || !body.contains("path")) {
    return Status::Unavailable("brixd at " + origin + " did not mint a login code (HTTP " +
                               std::to_string(response.status) + ")");
  }
  return origin + body["path"].get<std::string>();
}

}  // namespace brix::playground
