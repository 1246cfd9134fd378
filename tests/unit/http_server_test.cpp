#include "http/http_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "build_info.h"
#include "http/endpoints.h"
#include "version.h"

namespace tunescope::http {
namespace {

TEST(ListenAddress, ConvertsToCivetSyntax) {
  std::string out;
  ASSERT_TRUE(ToCivetListeningPort(":10027", out).ok());
  EXPECT_EQ(out, "10027");
  ASSERT_TRUE(ToCivetListeningPort("127.0.0.1:8080", out).ok());
  EXPECT_EQ(out, "127.0.0.1:8080");
  // IPv6 only where CivetWeb was built with it (Debian 12's is not): a clear refusal otherwise.
  if (mg_check_feature(8) != 0) {
    ASSERT_TRUE(ToCivetListeningPort("[::1]:8080", out).ok());
    EXPECT_EQ(out, "[::1]:8080");
  } else {
    Status s = ToCivetListeningPort("[::1]:8080", out);
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.error().find("built without IPv6"), std::string::npos) << s.error();
  }
  // CivetWeb takes addresses only: names are resolved to their IPv4 address.
  ASSERT_TRUE(ToCivetListeningPort("localhost:8080", out).ok());
  EXPECT_EQ(out, "127.0.0.1:8080");
  Status unknown = ToCivetListeningPort("no-such-host.invalid:8080", out);
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().find("host no-such-host.invalid: "), std::string::npos)
      << unknown.error();
  EXPECT_FALSE(ToCivetListeningPort("8080", out).ok());
  EXPECT_FALSE(ToCivetListeningPort("host:", out).ok());
  EXPECT_FALSE(ToCivetListeningPort("host:8x", out).ok());
}

TEST(Dispatch, ExactPathsMethodsAndGate) {
  HttpServer server;
  server.Handle("/a", [](const HttpRequest&) { return HttpResponse{200, "text/plain", "A", {}}; });
  EXPECT_EQ(server.Dispatch({"GET", "/a", "", ""}).body, "A");
  EXPECT_EQ(server.Dispatch({"GET", "/a/b", "", ""}).status, 404);
  EXPECT_EQ(server.Dispatch({"GET", "/", "", ""}).status, 404);
  EXPECT_EQ(server.Dispatch({"POST", "/a", "", ""}).status, 405);
  server.SetGate([](const HttpRequest& r) -> std::optional<HttpResponse> {
    if (r.authorization.empty()) return HttpResponse{401, "text/plain", "no", {}};
    return std::nullopt;
  });
  EXPECT_EQ(server.Dispatch({"GET", "/a", "", ""}).status, 401);
  EXPECT_EQ(server.Dispatch({"GET", "/a", "", "Basic eDp5"}).status, 200);
}

TEST(MetricsHandler, SerializesTextFormat) {
  auto handler = MetricsHandler({metrics::MakeSelfRegistry()});
  HttpResponse r = handler({"GET", "/metrics", "", ""});
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.content_type.find("version=0.0.4"), std::string::npos);
  EXPECT_NE(r.body.find("# TYPE tunescope_build_info gauge"), std::string::npos);
  EXPECT_NE(r.body.find("tunescope_build_info{"), std::string::npos);
  EXPECT_NE(r.body.find("version=\"" + std::string(kVersion) + "\""), std::string::npos);
}

TEST(HttpServer, BusyPortIsAClearError) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(::listen(fd, 1), 0);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const std::string address = "127.0.0.1:" + std::to_string(ntohs(addr.sin_port));

  HttpServer server;
  Status s = server.Start(address);
  ::close(fd);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().find("cannot listen on " + address), std::string::npos) << s.error();
  // The cause, from CivetWeb's log, not only its generic "Failed to setup server ports".
  EXPECT_NE(s.error().find("Address already in use"), std::string::npos) << s.error();
}

// A loopback client socket: connect, send, read what comes until the server closes or TIMEOUT.
class Client {
 public:
  explicit Client(int port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    timeval timeout{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~Client() { ::close(fd_); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  bool connected() const { return connected_; }
  void Send(const std::string& text) {
    ASSERT_EQ(::send(fd_, text.data(), text.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(text.size()));
  }
  std::string ReadAll() {
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = ::recv(fd_, buf, sizeof(buf), 0)) > 0) out.append(buf, static_cast<size_t>(n));
    return out;
  }

 private:
  int fd_;
  bool connected_ = false;
};

int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

bool WaitForOpen(const HttpServer& server, unsigned want) {
  for (int i = 0; i < 500 && server.OpenConnections() != want; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return server.OpenConnections() == want;
}

// The connection cap over real sockets, with the daemon's limits scaled down: 2 connections
// held (a request line, no end of headers, as idle or slowloris clients do) and the third is
// refused with a complete 503 before its request reaches the gate or a handler, HEAD included;
// the two let in are served, and once they are gone a new connection is served again.
TEST(HttpServer, RefusesConnectionsBeyondTheCap) {
  HttpLimits limits = kHttpLimits;
  limits.worker_threads = 6;
  limits.max_connections = 2;
  limits.keep_alive_below_connections = 2;
  HttpServer server(limits);
  std::atomic<int> gated{0};  // requests that reached the gate, from the server's threads
  server.SetGate([&gated](const HttpRequest&) -> std::optional<HttpResponse> {
    ++gated;
    return std::nullopt;
  });
  server.Handle("/metrics", [](const HttpRequest&) {
    return HttpResponse{200, "text/plain", "m\n", {}};
  });
  const int port = FreePort();
  ASSERT_TRUE(server.Start("127.0.0.1:" + std::to_string(port)).ok());

  const std::string request = "GET /metrics HTTP/1.1\r\nHost: x\r\n";
  std::vector<std::unique_ptr<Client>> held;
  for (unsigned i = 1; i <= 2; ++i) {
    held.push_back(std::make_unique<Client>(port));
    ASSERT_TRUE(held.back()->connected());
    held.back()->Send(request);
    ASSERT_TRUE(WaitForOpen(server, i)) << server.OpenConnections();  // counted in this order
  }
  for (const std::string method : {"GET", "HEAD"}) {
    Client excess(port);
    ASSERT_TRUE(excess.connected());
    excess.Send(method + " /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
    const std::string answer = excess.ReadAll();  // the server closes after it
    EXPECT_EQ(answer.rfind("HTTP/1.1 503 Service Unavailable\r\n", 0), 0u) << answer;
    EXPECT_NE(answer.find("\r\nRetry-After: 1\r\n"), std::string::npos) << answer;
    EXPECT_NE(answer.find("\r\nConnection: close\r\n"), std::string::npos) << answer;
    EXPECT_NE(answer.find("\r\nContent-Length: "), std::string::npos) << answer;
    const bool has_body = answer.find("too many connections (2)") != std::string::npos;
    EXPECT_EQ(has_body, std::string(method) == "GET") << answer;
    ASSERT_TRUE(WaitForOpen(server, 2)) << server.OpenConnections();
  }
  EXPECT_EQ(gated, 0);
  for (auto& client : held) {
    client->Send("Connection: close\r\n\r\n");
    EXPECT_EQ(client->ReadAll().rfind("HTTP/1.1 200 OK\r\n", 0), 0u);  // served
  }
  EXPECT_EQ(gated, 2);
  held.clear();
  ASSERT_TRUE(WaitForOpen(server, 0)) << server.OpenConnections();
  Client again(port);
  again.Send("GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(again.ReadAll().rfind("HTTP/1.1 200 OK\r\n", 0), 0u);
}

// Under a pids limit: fewer workers, the same spare share above the cap and keep-alive cut-off.
TEST(HttpServer, FitThreadsScalesTheLimitsDown) {
  EXPECT_EQ(FitThreads(kHttpLimits, 4096).worker_threads, kHttpLimits.worker_threads);
  HttpLimits fit = FitThreads(kHttpLimits, 1024);
  EXPECT_EQ(fit.worker_threads, 1024u);
  EXPECT_EQ(fit.max_connections, 896u);  // 1792 of 2048
  EXPECT_EQ(fit.keep_alive_below_connections, 768u);
  EXPECT_EQ(fit.request_timeout, kHttpLimits.request_timeout);
  HttpLimits least = FitThreads(kHttpLimits, kMinWorkerThreads);
  EXPECT_LT(least.max_connections, least.worker_threads);
  EXPECT_GT(least.max_connections, 0u);
}

}  // namespace
}  // namespace tunescope::http
