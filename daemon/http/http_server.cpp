#include "http/http_server.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <mutex>
#include <vector>

#include "core/log.h"
#include "host/sysctl.h"

namespace tunescope::http {
namespace {

// mg_check_feature's bit for IPv6 listening (CivetWeb's USE_IPV6).
constexpr unsigned kCivetIpv6 = 8;

// CivetWeb's log while mg_start2 runs on this thread: the cause of a failed start.
thread_local bool t_starting = false;
thread_local std::vector<std::string> t_start_log;

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
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "";
  }
}

// One write per response: a head and a body in two segments let Nagle hold the body until
// the client's delayed ACK of the head (~40 ms per keep-alive request). TCP_NODELAY is set too.
void Send(mg_connection* conn, const HttpResponse& r, bool head_only) {
  std::string out = "HTTP/1.1 " + std::to_string(r.status) + " " + ReasonPhrase(r.status) +
                    "\r\nContent-Type: " + r.content_type +
                    "\r\nContent-Length: " + std::to_string(r.body.size()) + "\r\n";
  for (const auto& [name, value] : r.headers) out += name + ": " + value + "\r\n";
  out += "\r\n";
  // HEAD: the headers GET would send, Content-Length included, and no body (RFC 9110 9.3.2).
  if (!head_only) out += r.body;
  mg_write(conn, out.data(), out.size());
}

// Marks a connection that arrived beyond HttpLimits::max_connections (its CivetWeb user data).
char kOverCap;

// The kernel caps a listen backlog at net.core.somaxconn; ask for all of it.
std::string ListenBacklog() {
  auto somaxconn = host::ReadSysctlInt(host::HostPaths{}, "net.core.somaxconn");
  long long backlog = somaxconn && *somaxconn && **somaxconn > 0 ? **somaxconn : 4096;
  return std::to_string(std::min(backlog, 65535LL));
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
    if (mg_check_feature(kCivetIpv6) == 0) {
      return Status::Error("\"" + std::string(address) +
                           "\": this CivetWeb is built without IPv6 (listen on an IPv4 host, or "
                           "on every address with \":" +
                           std::to_string(port) + "\")");
    }
    // CivetWeb binds IPv6 with a "+" (dual stack) or as "[addr]:port".
    out = std::string(host) + ":" + std::to_string(port);
  } else {
    // CivetWeb takes IP addresses only: a name (localhost) is resolved here, to its first IPv4.
    const std::string name(host);
    in_addr ip{};
    if (inet_pton(AF_INET, name.c_str(), &ip) != 1) {
      addrinfo hints{};
      hints.ai_family = AF_INET;
      hints.ai_socktype = SOCK_STREAM;
      addrinfo* found = nullptr;
      if (const int rc = getaddrinfo(name.c_str(), nullptr, &hints, &found); rc != 0) {
        return Status::Error("listen address \"" + std::string(address) + "\": host " + name +
                             ": " + gai_strerror(rc));
      }
      ip = reinterpret_cast<const sockaddr_in*>(found->ai_addr)->sin_addr;
      freeaddrinfo(found);
    }
    char text[INET_ADDRSTRLEN] = "";
    inet_ntop(AF_INET, &ip, text, sizeof(text));
    out = std::string(text) + ":" + std::to_string(port);
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
  const bool head_only =
      info->request_method != nullptr && std::string_view(info->request_method) == "HEAD";
  auto* server = static_cast<HttpServer*>(self);
  // Before the gate: an excess connection costs no password check and no metrics rendering.
  if (mg_get_user_connection_data(conn) == &kOverCap) {
    server->RefuseOverCap(conn, head_only);
    return 503;
  }
  HttpRequest request;
  request.method = info->request_method ? info->request_method : "";
  request.path = info->local_uri ? info->local_uri : "";
  request.query = info->query_string ? info->query_string : "";
  if (const char* auth = mg_get_header(conn, "Authorization")) request.authorization = auth;
  HttpResponse response = server->Dispatch(request);
  // Under pressure a connection gets one request, then goes to the back of the queue: a
  // thread held by one keep-alive client would never serve those waiting for one.
  if (server->open_connections_.load() >= server->limits_.keep_alive_below_connections) {
    mg_disable_connection_keep_alive(conn);
    response.headers["Connection"] = "close";
  }
  Send(conn, response, head_only);
  return static_cast<int>(response.status);
}

// What nginx's limit_conn answers (503), with a hint when to come back, on a connection that
// closes after it: the excess is told at once instead of waiting in CivetWeb's queue or the
// kernel's backlog for a thread, and gets no chance to hold one with keep-alive.
void HttpServer::RefuseOverCap(mg_connection* conn, bool head_only) const {
  mg_disable_connection_keep_alive(conn);
  Send(conn,
       HttpResponse{
           503,
           "text/plain; charset=utf-8",
           "too many connections (" + std::to_string(limits_.max_connections) + "), retry\n",
           {{"Retry-After", "1"}, {"Connection", "close"}}},
       head_only);
}

// Counted when a worker thread takes the connection, before any byte of it is read: idle and
// slowloris connections hold a thread as much as scrapes do. The verdict is kept for the
// connection's life, so a connection let in keeps its keep-alive requests and the one that came
// beyond the cap is refused, whatever the count has become by the time its headers are in.
// What is counted is what holds a thread, not what the kernel calls established: connections in
// the listen backlog or CivetWeb's queue hold none, and on loopback each connection is
// established twice (client and server side).
int HttpServer::OnConnectionOpen(const mg_connection* conn, void** conn_data) {
  auto* server = static_cast<HttpServer*>(mg_get_user_data(mg_get_context(conn)));
  const unsigned open = server->open_connections_.fetch_add(1) + 1;
  if (open > server->limits_.max_connections) *conn_data = &kOverCap;
  return 0;
}

void HttpServer::OnConnectionClose(const mg_connection* conn) {
  auto* server = static_cast<HttpServer*>(mg_get_user_data(mg_get_context(conn)));
  server->open_connections_.fetch_sub(1);
}

int HttpServer::OnLog(const mg_connection* /*conn*/, const char* message) {
  TS_LOG(kDebug) << "http: " << message;
  if (t_starting) t_start_log.emplace_back(message);
  return 1;  // handled: keep CivetWeb from printing on its own
}

HttpLimits FitThreads(const HttpLimits& limits, unsigned threads) {
  if (threads >= limits.worker_threads) return limits;
  auto scale = [&](unsigned n) {
    return static_cast<unsigned>(static_cast<unsigned long long>(n) * threads /
                                 limits.worker_threads);
  };
  HttpLimits fit = limits;
  fit.worker_threads = threads;
  fit.max_connections = scale(limits.max_connections);
  fit.keep_alive_below_connections = scale(limits.keep_alive_below_connections);
  return fit;
}

Status HttpServer::Start(const std::string& listen_address) {
  static std::once_flag init_once;
  std::call_once(init_once, [] { mg_init_library(0); });

  std::string ports;
  if (Status s = ToCivetListeningPort(listen_address, ports); !s.ok()) return s;
  const std::string threads = std::to_string(limits_.worker_threads);
  const std::string queue = std::to_string(limits_.connection_queue);
  const std::string backlog = ListenBacklog();
  const std::string request_timeout = std::to_string(limits_.request_timeout.count());
  const std::string keep_alive = std::to_string(limits_.keep_alive_timeout.count());
  const std::string request_size = std::to_string(limits_.max_request_bytes);
  const char* options[] = {"listening_ports",
                           ports.c_str(),
                           "num_threads",
                           threads.c_str(),
                           "connection_queue",
                           queue.c_str(),
                           "listen_backlog",
                           backlog.c_str(),
                           "request_timeout_ms",
                           request_timeout.c_str(),
                           "keep_alive_timeout_ms",
                           keep_alive.c_str(),
                           "max_request_size",
                           request_size.c_str(),
                           "enable_keep_alive",
                           "yes",
                           "tcp_nodelay",
                           "1",
                           nullptr};
  mg_callbacks callbacks{};
  callbacks.log_message = &HttpServer::OnLog;
  callbacks.init_connection = &HttpServer::OnConnectionOpen;
  callbacks.connection_close = &HttpServer::OnConnectionClose;
  mg_init_data init{};
  init.callbacks = &callbacks;
  init.user_data = this;
  init.configuration_options = options;
  char error_text[256] = "";
  unsigned error_code = 0;
  mg_error_data error{};
  error.code = &error_code;
  error.text = error_text;
  error.text_buffer_size = sizeof(error_text);
  // mg_start2 sets up the ports on this thread; its error text is generic ("Failed to setup
  // server ports"), the cause (a port in use, an address not on this host) is in its log.
  t_starting = true;
  t_start_log.clear();
  ctx_ = mg_start2(&init, &error);
  t_starting = false;
  const std::vector<std::string> start_log = std::move(t_start_log);
  t_start_log.clear();
  if (ctx_ == nullptr) {
    std::string why = error_text[0] ? error_text : "unknown CivetWeb error", causes;
    for (const std::string& line : start_log) {
      if (line != why) causes += (causes.empty() ? "" : "; ") + line;
    }
    if (!causes.empty()) why += " (" + causes + ")";
    return Status::Error("cannot listen on " + listen_address + ": " + why);
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
