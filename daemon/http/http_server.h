// The daemon's HTTP endpoints, served by CivetWeb. Handlers are plain functions from a request
// to a response so they can be tested without sockets.
#pragma once

#include <civetweb.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "host/result.h"

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

// What one daemon's HTTP front holds (docs/deploy.md, "Authentication and TLS"). CivetWeb gives
// each connection a thread for its whole life, so a connection that sends slowly or nothing holds
// one: timeouts bound how long, and enough threads stay free for scrapes while hundreds do.
struct HttpLimits {
  unsigned worker_threads;                       // connections held at once
  unsigned max_connections;                      // beyond: 503 once headers are in (spare threads)
  unsigned connection_queue;                     // accepted connections waiting for a thread
  std::chrono::milliseconds request_timeout;     // to receive a request's headers, and to send
  std::chrono::milliseconds keep_alive_timeout;  // idle wait for the next request on a connection
  unsigned max_request_bytes;                    // request line and headers
  unsigned keep_alive_below_connections;         // from this many open, one request per connection
};
inline constexpr HttpLimits kHttpLimits{
    .worker_threads = 2048,
    .max_connections = 1792,
    .connection_queue = 1024,
    .request_timeout = std::chrono::milliseconds(2000),
    .keep_alive_timeout = std::chrono::milliseconds(2000),
    .max_request_bytes = 8192,
    .keep_alive_below_connections = 1536,
};
// The threads above the cap are what answers the excess its 503 without a wait.
static_assert(kHttpLimits.max_connections < kHttpLimits.worker_threads);
static_assert(kHttpLimits.keep_alive_below_connections <= kHttpLimits.max_connections);

// The fewest worker threads worth serving with: scrapes, /advice and a few held connections.
inline constexpr unsigned kMinWorkerThreads = 16;
// kHttpLimits scaled down to `threads` workers (a pids limit leaves fewer tasks than it asks
// for): the same share of them stays spare above the connection cap, and keep-alive stops at
// the same share. Unchanged when `threads` is at least limits.worker_threads.
HttpLimits FitThreads(const HttpLimits& limits, unsigned threads);

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;
// Returns a response to send instead of the handler's (e.g. 401), or nothing to go on.
using HttpGate = std::function<std::optional<HttpResponse>(const HttpRequest&)>;

class HttpServer {
 public:
  // Other limits are for tests, which cannot open 1792 connections in a unit test.
  explicit HttpServer(const HttpLimits& limits = kHttpLimits) : limits_(limits) {}
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
  // Connections a worker thread holds now (for tests).
  unsigned OpenConnections() const { return open_connections_.load(); }

 private:
  static int OnRequest(mg_connection* conn, void* self);
  static int OnLog(const mg_connection* conn, const char* message);
  static int OnConnectionOpen(const mg_connection* conn, void** conn_data);
  void RefuseOverCap(mg_connection* conn, bool head_only) const;
  static void OnConnectionClose(const mg_connection* conn);

  HttpLimits limits_;
  std::map<std::string, HttpHandler, std::less<>> handlers_;
  HttpGate gate_;
  // Connections a worker thread holds: counted when a thread takes one (CivetWeb's
  // init_connection, before any byte is read), uncounted when CivetWeb closes it.
  std::atomic<unsigned> open_connections_{0};
  mg_context* ctx_ = nullptr;
};

// Converts "[host]:port" into CivetWeb's listening_ports syntax; error for anything else.
Status ToCivetListeningPort(std::string_view listen_address, std::string& out);

}  // namespace tunescope::http
