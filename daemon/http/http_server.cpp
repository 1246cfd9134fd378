#include "http/http_server.h"

#include <charconv>
#include <mutex>
#include <vector>

#include "core/log.h"

namespace tunescope::http {
namespace {

const char* ReasonPhrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "";
  }
}

void Send(mg_connection* conn, const HttpResponse& r) {
  std::string head = "HTTP/1.1 " + std::to_string(r.status) + " " + ReasonPhrase(r.status) +
                     "\r\nContent-Type: " + r.content_type +
                     "\r\nContent-Length: " + std::to_string(r.body.size()) + "\r\n";
  for (const auto& [name, value] : r.headers) head += name + ": " + value + "\r\n";
  head += "\r\n";
  mg_write(conn, head.data(), head.size());
  mg_write(conn, r.body.data(), r.body.size());
}

}  // namespace

Status ToCivetListeningPort(std::string_view address, std::string& out) {
  const size_t colon = address.rfind(':');
  if (colon == std::string_view::npos) {
    return Status::Error("listen address \"" + std::string(address) +
                         "\" needs a port ([host]:port)");
  }
  std::string_view host = address.substr(0, colon);
  std::string_view port_text = address.substr(colon + 1);
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port == 0 ||
      port > 65535) {
    return Status::Error("listen address \"" + std::string(address) + "\" has a bad port");
  }
  if (host.empty()) {
    out = std::to_string(port);
  } else if (host.front() == '[') {
    if (host.back() != ']')
      return Status::Error("bad IPv6 host in \"" + std::string(address) + "\"");
    // CivetWeb binds IPv6 with a "+" (dual stack) or as "[addr]:port".
    out = std::string(host) + ":" + std::to_string(port);
  } else {
    out = std::string(host) + ":" + std::to_string(port);
  }
  return {};
}

void HttpServer::Handle(std::string path, HttpHandler handler) {
  handlers_[std::move(path)] = std::move(handler);
}

HttpResponse HttpServer::Dispatch(const HttpRequest& request) const {
  if (gate_) {
    if (auto denied = gate_(request)) return *denied;
  }
  auto it = handlers_.find(request.path);
  if (it == handlers_.end()) return {404, "text/plain; charset=utf-8", "not found\n", {}};
  if (request.method != "GET" && request.method != "HEAD") {
    return {405, "text/plain; charset=utf-8", "method not allowed\n", {{"Allow", "GET, HEAD"}}};
  }
  return it->second(request);
}

int HttpServer::OnRequest(mg_connection* conn, void* self) {
  const mg_request_info* info = mg_get_request_info(conn);
  HttpRequest request;
  request.method = info->request_method ? info->request_method : "";
  request.path = info->local_uri ? info->local_uri : "";
  request.query = info->query_string ? info->query_string : "";
  if (const char* auth = mg_get_header(conn, "Authorization")) request.authorization = auth;
  HttpResponse response = static_cast<HttpServer*>(self)->Dispatch(request);
  if (request.method == "HEAD") response.body.clear();
  Send(conn, response);
  return static_cast<int>(response.status);
}

int HttpServer::OnLog(const mg_connection* /*conn*/, const char* message) {
  TS_LOG(kDebug) << "http: " << message;
  return 1;  // handled: keep CivetWeb from printing on its own
}

Status HttpServer::Start(const std::string& listen_address) {
  static std::once_flag init_once;
  std::call_once(init_once, [] { mg_init_library(0); });

  std::string ports;
  if (Status s = ToCivetListeningPort(listen_address, ports); !s.ok()) return s;
  const char* options[] = {
      "listening_ports", ports.c_str(),       "num_threads", "8",    "request_timeout_ms",
      "10000",           "enable_keep_alive", "yes",         nullptr};
  mg_callbacks callbacks{};
  callbacks.log_message = &HttpServer::OnLog;
  mg_init_data init{};
  init.callbacks = &callbacks;
  init.configuration_options = options;
  char error_text[256] = "";
  unsigned error_code = 0;
  mg_error_data error{};
  error.code = &error_code;
  error.text = error_text;
  error.text_buffer_size = sizeof(error_text);
  ctx_ = mg_start2(&init, &error);
  if (ctx_ == nullptr) {
    return Status::Error("cannot listen on " + listen_address + ": " +
                         (error_text[0] ? error_text : "unknown CivetWeb error"));
  }
  mg_set_request_handler(ctx_, "/", &HttpServer::OnRequest, this);
  return {};
}

void HttpServer::Stop() {
  if (ctx_ != nullptr) {
    mg_stop(ctx_);
    ctx_ = nullptr;
  }
}

}  // namespace tunescope::http
