#include "http/http_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http/endpoints.h"
#include "metrics/build_info.h"
#include "version.h"

namespace tunescope::http {
namespace {

TEST(ListenAddress, ConvertsToCivetSyntax) {
  std::string out;
  ASSERT_TRUE(ToCivetListeningPort(":10027", out).ok());
  EXPECT_EQ(out, "10027");
  ASSERT_TRUE(ToCivetListeningPort("127.0.0.1:8080", out).ok());
  EXPECT_EQ(out, "127.0.0.1:8080");
  ASSERT_TRUE(ToCivetListeningPort("[::1]:8080", out).ok());
  EXPECT_EQ(out, "[::1]:8080");
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
  EXPECT_NE(s.message().find("cannot listen on " + address), std::string::npos) << s.message();
}

}  // namespace
}  // namespace tunescope::http
