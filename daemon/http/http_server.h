// The daemon's HTTP endpoints, served by CivetWeb. Handlers are plain functions from a request
// to a response so they can be tested without sockets.
#pragma once

#include <civetweb.h>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace tunescope::http {

struct HttpRequest {
  std::string method;
  std::string path;
  std::string query;
  std::string authorization;  // the Authorization header, if any
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::map<std::string, std::string> headers;
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;
// Returns a response to send instead of the handler's (e.g. 401), or nothing to go on.
using HttpGate = std::function<std::optional<HttpResponse>(const HttpRequest&)>;

class HttpServer {
 public:
  HttpServer() = default;
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;
  ~HttpServer() { Stop(); }

  // Register before Start. Paths match exactly; anything else is 404.
  void Handle(std::string path, HttpHandler handler);
  void SetGate(HttpGate gate) { gate_ = std::move(gate); }

  // listen_address is "[host]:port"; fails (busy port, bad host) with CivetWeb's reason.
  Status Start(const std::string& listen_address);
  void Stop();

  // Dispatches one request exactly as a connection would be (for tests).
  HttpResponse Dispatch(const HttpRequest& request) const;

 private:
  static int OnRequest(mg_connection* conn, void* self);
  static int OnLog(const mg_connection* conn, const char* message);

  std::map<std::string, HttpHandler, std::less<>> handlers_;
  HttpGate gate_;
  mg_context* ctx_ = nullptr;
};

// Converts "[host]:port" into CivetWeb's listening_ports syntax; error for anything else.
Status ToCivetListeningPort(std::string_view listen_address, std::string& out);

}  // namespace tunescope::http
