// Unit tests of routing, response serialisation and the Date header.
#include "response.h"

#include <gtest/gtest.h>

#include <ctime>
#include <string>

#include "http_date.h"
#include "parser.h"

namespace refserver {
namespace {

constexpr std::string_view kDate = "Mon, 23 Nov 2026 18:26:42 GMT";

std::string Respond(std::string_view raw, Response* info = nullptr) {
  http::Parser p;
  http::Request req;
  EXPECT_EQ(p.Parse(raw, req), http::ParseStatus::kComplete) << raw;
  char out[kMaxResponseBytes];
  const Response r = WriteResponse(req, kDate, out);
  EXPECT_LE(r.size, kMaxResponseBytes);
  if (info != nullptr) *info = r;
  return std::string(out, r.size);
}

TEST(Response, Json) {
  Response r;
  EXPECT_EQ(Respond("GET /json HTTP/1.1\r\nHost: a\r\n\r\n", &r),
            "HTTP/1.1 200 OK\r\n"
            "Server: refserver\r\n"
            "Date: Mon, 23 Nov 2026 18:26:42 GMT\r\n"
            "Content-Type: application/json\r\n"
            "Content-Length: 27\r\n"
            "\r\n"
            "{\"message\":\"Hello, World!\"}");
  EXPECT_EQ(r.status, 200);
  EXPECT_FALSE(r.close);
}

TEST(Response, Plaintext) {
  EXPECT_EQ(Respond("GET /plaintext?x=1 HTTP/1.1\r\nHost: a\r\n\r\n"),
            "HTTP/1.1 200 OK\r\nServer: refserver\r\nDate: Mon, 23 Nov 2026 18:26:42 GMT\r\n"
            "Content-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, World!");
}

TEST(Response, HeadHasNoBody) {
  const std::string s = Respond("HEAD /json HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_NE(s.find("Content-Length: 27\r\n\r\n"), std::string::npos);
  EXPECT_TRUE(s.ends_with("\r\n\r\n"));
}

TEST(Response, NotFound) {
  Response r;
  const std::string s = Respond("GET /jsonx HTTP/1.1\r\nHost: a\r\n\r\n", &r);
  EXPECT_TRUE(s.starts_with("HTTP/1.1 404 Not Found\r\n"));
  EXPECT_TRUE(s.ends_with("Content-Length: 10\r\n\r\nNot Found\n"));
  EXPECT_EQ(r.status, 404);
  EXPECT_FALSE(r.close);
}

TEST(Response, MethodNotAllowed) {
  Response r;
  const std::string s = Respond("POST /json HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", &r);
  EXPECT_TRUE(s.starts_with("HTTP/1.1 405 Method Not Allowed\r\n"));
  EXPECT_NE(s.find("\r\nAllow: GET, HEAD\r\n"), std::string::npos);
  EXPECT_NE(s.find("\r\nConnection: close\r\n"), std::string::npos);
  EXPECT_TRUE(r.close);
}

TEST(Response, ConnectionHeaders) {
  Response r;
  std::string s = Respond("GET /json HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", &r);
  EXPECT_NE(s.find("\r\nConnection: close\r\n"), std::string::npos);
  EXPECT_TRUE(r.close);
  s = Respond("GET /json HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", &r);
  EXPECT_NE(s.find("\r\nConnection: keep-alive\r\n"), std::string::npos);
  EXPECT_FALSE(r.close);
  s = Respond("GET /json HTTP/1.0\r\n\r\n", &r);
  EXPECT_TRUE(r.close);
}

TEST(Response, ParseErrorsClose) {
  const std::pair<http::ParseStatus, std::string_view> cases[] = {
      {http::ParseStatus::kBadRequest, "HTTP/1.1 400 Bad Request\r\n"},
      {http::ParseStatus::kHeadersTooLarge, "HTTP/1.1 431 Request Header Fields Too Large\r\n"},
      {http::ParseStatus::kBodyTooLarge, "HTTP/1.1 413 Content Too Large\r\n"},
      {http::ParseStatus::kNotImplemented, "HTTP/1.1 501 Not Implemented\r\n"},
      {http::ParseStatus::kVersionNotSupported, "HTTP/1.1 505 HTTP Version Not Supported\r\n"},
  };
  for (const auto& [status, line] : cases) {
    char out[kMaxResponseBytes];
    const Response r = WriteParseError(status, kDate, out);
    const std::string s(out, r.size);
    EXPECT_TRUE(s.starts_with(line)) << s;
    EXPECT_NE(s.find("\r\nConnection: close\r\n"), std::string::npos);
    EXPECT_TRUE(r.close);
    // Content-Length matches the body.
    const std::size_t end = s.find("\r\n\r\n");
    const std::size_t cl = s.find("Content-Length: ");
    ASSERT_NE(end, std::string::npos);
    ASSERT_NE(cl, std::string::npos);
    EXPECT_EQ(std::stoul(s.substr(cl + 16)), s.size() - end - 4);
  }
}

TEST(HttpDate, KnownInstants) {
  char out[kHttpDateLength];
  FormatHttpDate(784111777, out);  // RFC 9110's example
  EXPECT_EQ(std::string_view(out, kHttpDateLength), "Sun, 06 Nov 1994 08:49:37 GMT");
  FormatHttpDate(0, out);
  EXPECT_EQ(std::string_view(out, kHttpDateLength), "Thu, 01 Jan 1970 00:00:00 GMT");
  FormatHttpDate(951782400, out);  // leap day
  EXPECT_EQ(std::string_view(out, kHttpDateLength), "Tue, 29 Feb 2000 00:00:00 GMT");
}

TEST(HttpDate, CacheChangesOncePerSecond) {
  DateCache cache;
  EXPECT_TRUE(cache.Update(1000));
  const std::string first(cache.Get());
  EXPECT_FALSE(cache.Update(1000));
  EXPECT_TRUE(cache.Update(1001));
  EXPECT_NE(first, cache.Get());
  EXPECT_EQ(cache.Get(), "Thu, 01 Jan 1970 00:16:41 GMT");
}

}  // namespace
}  // namespace refserver
