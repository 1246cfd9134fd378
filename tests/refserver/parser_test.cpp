// Unit tests of the incremental HTTP request parser.
#include "parser.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace refserver::http {
namespace {

constexpr std::string_view kSimple = "GET /json HTTP/1.1\r\nHost: localhost\r\n\r\n";

ParseStatus ParseAll(std::string_view buf, Request& req, Limits limits = {}) {
  Parser p(limits);
  return p.Parse(buf, req);
}

TEST(Parser, SimpleGet) {
  Request req;
  ASSERT_EQ(ParseAll(kSimple, req), ParseStatus::kComplete);
  EXPECT_EQ(req.method, Method::kGet);
  EXPECT_EQ(req.method_name, "GET");
  EXPECT_EQ(req.target, "/json");
  EXPECT_EQ(req.path, "/json");
  EXPECT_EQ(req.version_minor, 1);
  EXPECT_TRUE(req.keep_alive);
  EXPECT_EQ(req.content_length, 0u);
  EXPECT_EQ(req.header_bytes, kSimple.size());
  EXPECT_EQ(req.total_bytes, kSimple.size());
}

TEST(Parser, MethodsTargetsAndQuery) {
  Request req;
  ASSERT_EQ(ParseAll("HEAD /plaintext?a=1&b HTTP/1.1\r\nHost: x\r\n\r\n", req),
            ParseStatus::kComplete);
  EXPECT_EQ(req.method, Method::kHead);
  EXPECT_EQ(req.target, "/plaintext?a=1&b");
  EXPECT_EQ(req.path, "/plaintext");
  ASSERT_EQ(ParseAll("DELETE /json HTTP/1.1\r\nHost: x\r\n\r\n", req), ParseStatus::kComplete);
  EXPECT_EQ(req.method, Method::kOther);
  EXPECT_EQ(req.method_name, "DELETE");
  // Methods are case-sensitive: "get" is a valid token but not GET.
  ASSERT_EQ(ParseAll("get /json HTTP/1.1\r\nHost: x\r\n\r\n", req), ParseStatus::kComplete);
  EXPECT_EQ(req.method, Method::kOther);
}

TEST(Parser, KeepAliveRules) {
  Request req;
  ASSERT_EQ(ParseAll("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", req),
            ParseStatus::kComplete);
  EXPECT_FALSE(req.keep_alive);
  ASSERT_EQ(ParseAll("GET / HTTP/1.1\r\nHost: x\r\nconnection: Upgrade, CLOSE\r\n\r\n", req),
            ParseStatus::kComplete);
  EXPECT_FALSE(req.keep_alive);
  ASSERT_EQ(ParseAll("GET / HTTP/1.0\r\n\r\n", req), ParseStatus::kComplete);
  EXPECT_EQ(req.version_minor, 0);
  EXPECT_FALSE(req.keep_alive);
  ASSERT_EQ(ParseAll("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", req),
            ParseStatus::kComplete);
  EXPECT_TRUE(req.keep_alive);
  // Minor versions above 1 are treated as 1.1 (RFC 9110 2.5).
  ASSERT_EQ(ParseAll("GET / HTTP/1.7\r\nHost: x\r\n\r\n", req), ParseStatus::kComplete);
  EXPECT_TRUE(req.keep_alive);
}

TEST(Parser, HeaderValuesMayHaveOwsAndObsText) {
  Request req;
  ASSERT_EQ(ParseAll("GET / HTTP/1.1\r\nHost:x\r\nX-A: \t v\xe9 \t\r\nX-Empty:\r\n\r\n", req),
            ParseStatus::kComplete);
}

TEST(Parser, BodyIsFramedByContentLength) {
  const std::string msg = "POST /json HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhelloGET";
  Request req;
  ASSERT_EQ(ParseAll(msg, req), ParseStatus::kComplete);
  EXPECT_EQ(req.content_length, 5u);
  EXPECT_EQ(req.total_bytes, msg.size() - 3);
  EXPECT_EQ(req.header_bytes, msg.size() - 8);
  // Duplicate Content-Length with the same value is allowed.
  ASSERT_EQ(
      ParseAll("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\ncontent-length: 2\r\n\r\nab",
               req),
      ParseStatus::kComplete);
  EXPECT_EQ(req.total_bytes, req.header_bytes + 2);
}

// Every way of splitting a request in two reads gives Incomplete, then the same result.
void ExpectSameAtEverySplit(std::string_view msg) {
  Request whole;
  ASSERT_EQ(ParseAll(msg, whole), ParseStatus::kComplete) << msg;
  for (std::size_t split = 0; split < whole.total_bytes; ++split) {
    Parser p;
    Request req;
    ASSERT_EQ(p.Parse(msg.substr(0, split), req), ParseStatus::kIncomplete) << "split " << split;
    ASSERT_EQ(p.Parse(msg, req), ParseStatus::kComplete) << "split " << split;
    EXPECT_EQ(req.total_bytes, whole.total_bytes);
    EXPECT_EQ(req.target, whole.target);
    EXPECT_EQ(req.method, whole.method);
    EXPECT_EQ(req.keep_alive, whole.keep_alive);
    EXPECT_EQ(req.content_length, whole.content_length);
  }
}

TEST(Parser, EverySplitPoint) {
  ExpectSameAtEverySplit(kSimple);
  ExpectSameAtEverySplit(
      "POST /json?q HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: 3\r\n\r\nabc");
  ExpectSameAtEverySplit("GET /plaintext HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
}

TEST(Parser, EveryPairOfSplitPoints) {
  const std::string_view msg =
      "PUT /x HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nX: y\r\n\r\nbodyGET / HTTP/1.1\r\n";
  Request whole;
  ASSERT_EQ(ParseAll(msg, whole), ParseStatus::kComplete);
  for (std::size_t a = 0; a < whole.total_bytes; ++a) {
    for (std::size_t b = a; b < whole.total_bytes; ++b) {
      Parser p;
      Request req;
      ASSERT_EQ(p.Parse(msg.substr(0, a), req), ParseStatus::kIncomplete);
      ASSERT_EQ(p.Parse(msg.substr(0, b), req), ParseStatus::kIncomplete);
      ASSERT_EQ(p.Parse(msg, req), ParseStatus::kComplete) << a << " " << b;
      ASSERT_EQ(req.total_bytes, whole.total_bytes);
      ASSERT_EQ(req.content_length, 4u);
    }
  }
}

TEST(Parser, ByteByByte) {
  Parser p;
  Request req;
  for (std::size_t n = 0; n < kSimple.size(); ++n) {
    ASSERT_EQ(p.Parse(kSimple.substr(0, n), req), ParseStatus::kIncomplete) << n;
  }
  ASSERT_EQ(p.Parse(kSimple, req), ParseStatus::kComplete);
  EXPECT_EQ(req.target, "/json");
}

TEST(Parser, PipelinedRequests) {
  std::string stream;
  stream += "GET /json HTTP/1.1\r\nHost: a\r\n\r\n";
  stream += "POST /plaintext HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nxy";
  stream += "HEAD /nope HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
  stream += "GET /json HT";  // a partial fourth request
  Parser p;
  std::string_view rest = stream;
  std::vector<Request> got;
  for (;;) {
    Request req;
    const ParseStatus st = p.Parse(rest, req);
    if (st == ParseStatus::kIncomplete) break;
    ASSERT_EQ(st, ParseStatus::kComplete);
    got.push_back(req);
    rest.remove_prefix(req.total_bytes);
  }
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].path, "/json");
  EXPECT_EQ(got[1].path, "/plaintext");
  EXPECT_EQ(got[1].content_length, 2u);
  EXPECT_EQ(got[2].method, Method::kHead);
  EXPECT_FALSE(got[2].keep_alive);
  EXPECT_EQ(rest, "GET /json HT");
}

TEST(Parser, ResetForgetsAPartialRequest) {
  Parser p;
  Request req;
  ASSERT_EQ(p.Parse("GET /a HTTP/1.1\r\nHo", req), ParseStatus::kIncomplete);
  p.Reset();
  ASSERT_EQ(p.Parse(kSimple, req), ParseStatus::kComplete);
  EXPECT_EQ(req.target, "/json");
}

struct ErrorCase {
  const char* name;
  std::string input;
  ParseStatus expected;
};

std::vector<ErrorCase> ErrorCases() {
  const std::string ok_line = "GET / HTTP/1.1\r\n";
  return {
      {"EmptyLine", "\r\n", ParseStatus::kBadRequest},
      {"BareLfRequestLine", "GET / HTTP/1.1\n", ParseStatus::kBadRequest},
      {"BareLfHeader", ok_line + "Host: a\n\r\n", ParseStatus::kBadRequest},
      {"BareLfEnd", ok_line + "Host: a\r\n\n", ParseStatus::kBadRequest},
      {"LeadingSpace", " GET / HTTP/1.1\r\n", ParseStatus::kBadRequest},
      {"NoTarget", "GET HTTP/1.1\r\n", ParseStatus::kBadRequest},
      {"DoubleSpace", "GET  / HTTP/1.1\r\n", ParseStatus::kBadRequest},
      {"TrailingSpace", "GET / HTTP/1.1 \r\n", ParseStatus::kBadRequest},
      {"NoVersion", "GET /\r\n", ParseStatus::kBadRequest},
      {"BadMethodChar", "G(T / HTTP/1.1\r\n", ParseStatus::kBadRequest},
      {"ControlInTarget", std::string("GET /\x01 HTTP/1.1\r\n"), ParseStatus::kBadRequest},
      {"NonAsciiTarget", "GET /\xc3\xa9 HTTP/1.1\r\n", ParseStatus::kBadRequest},
      {"LowercaseVersion", "GET / http/1.1\r\n", ParseStatus::kBadRequest},
      {"VersionNoDot", "GET / HTTP/11\r\n", ParseStatus::kBadRequest},
      {"VersionLetters", "GET / HTTP/1.x\r\n", ParseStatus::kBadRequest},
      {"VersionTooLong", "GET / HTTP/1.10\r\n", ParseStatus::kBadRequest},
      {"CrInsideLine", "GET /\r HTTP/1.1\r\n", ParseStatus::kBadRequest},
      {"Http2", "GET / HTTP/2.0\r\n", ParseStatus::kVersionNotSupported},
      {"Http0", "GET / HTTP/0.9\r\n", ParseStatus::kVersionNotSupported},
      {"HeaderNoColon", ok_line + "Host a\r\n", ParseStatus::kBadRequest},
      {"HeaderEmptyName", ok_line + ": a\r\n", ParseStatus::kBadRequest},
      {"HeaderSpaceBeforeColon", ok_line + "Host : a\r\n", ParseStatus::kBadRequest},
      {"ObsFold", ok_line + "Host: a\r\n b\r\n", ParseStatus::kBadRequest},
      {"HeaderNulInValue", ok_line + std::string("X: a\0b\r\n", 8), ParseStatus::kBadRequest},
      {"HeaderDelInValue", ok_line + "X: a\x7f\r\n", ParseStatus::kBadRequest},
      {"HeaderBadNameChar", ok_line + "X(Y: a\r\n", ParseStatus::kBadRequest},
      {"MissingHost11", ok_line + "\r\n", ParseStatus::kBadRequest},
      {"TwoHosts", ok_line + "Host: a\r\nHost: b\r\n\r\n", ParseStatus::kBadRequest},
      {"ContentLengthEmpty", ok_line + "Host: a\r\nContent-Length:\r\n\r\n",
       ParseStatus::kBadRequest},
      {"ContentLengthSign", ok_line + "Host: a\r\nContent-Length: +1\r\n\r\n",
       ParseStatus::kBadRequest},
      {"ContentLengthList", ok_line + "Host: a\r\nContent-Length: 1, 1\r\n\r\n",
       ParseStatus::kBadRequest},
      {"ContentLengthConflict",
       ok_line + "Host: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
       ParseStatus::kBadRequest},
      {"TransferEncodingAndLength",
       ok_line + "Host: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n",
       ParseStatus::kBadRequest},
      {"Chunked", ok_line + "Host: a\r\nTransfer-Encoding: chunked\r\n\r\n",
       ParseStatus::kNotImplemented},
      {"OtherTransferEncoding", ok_line + "Host: a\r\ntransfer-encoding: gzip\r\n\r\n",
       ParseStatus::kNotImplemented},
      {"BodyTooLarge", ok_line + "Host: a\r\nContent-Length: 4097\r\n\r\n",
       ParseStatus::kBodyTooLarge},
      {"BodyHuge", ok_line + "Host: a\r\nContent-Length: 99999999999999999999999999\r\n\r\n",
       ParseStatus::kBodyTooLarge},
  };
}

class ParserErrors : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(ParserErrors, WholeAndSplit) {
  const ErrorCase& c = GetParam();
  Request req;
  EXPECT_EQ(ParseAll(c.input, req), c.expected);
  // Split at every point: each prefix is Incomplete or already the same error.
  for (std::size_t split = 0; split < c.input.size(); ++split) {
    Parser p;
    const ParseStatus first = p.Parse(std::string_view(c.input).substr(0, split), req);
    if (first != ParseStatus::kIncomplete) {
      EXPECT_EQ(first, c.expected) << "split " << split;
      continue;
    }
    EXPECT_EQ(p.Parse(c.input, req), c.expected) << "split " << split;
  }
  // After an error the parser is reset and parses a good request.
  Parser p;
  ASSERT_EQ(p.Parse(c.input, req), c.expected);
  EXPECT_EQ(p.Parse(kSimple, req), ParseStatus::kComplete);
}

INSTANTIATE_TEST_SUITE_P(All, ParserErrors, ::testing::ValuesIn(ErrorCases()),
                         [](const auto& tp) { return std::string(tp.param.name); });

TEST(ParserLimits, HeadersExactlyAtTheLimitAreAccepted) {
  const Limits limits{128, 16};
  std::string msg = "GET / HTTP/1.1\r\nHost: a\r\nX: ";
  msg += std::string(128 - msg.size() - 4, 'v');
  msg += "\r\n\r\n";
  ASSERT_EQ(msg.size(), 128u);
  Request req;
  EXPECT_EQ(ParseAll(msg, req, limits), ParseStatus::kComplete);
  msg.insert(30, "v");  // one byte over
  EXPECT_EQ(ParseAll(msg, req, limits), ParseStatus::kHeadersTooLarge);
}

TEST(ParserLimits, EndlessLineIs431AtTheBound) {
  const Limits limits{128, 16};
  Parser p(limits);
  Request req;
  std::string msg = "GET /" + std::string(200, 'a');
  EXPECT_EQ(p.Parse(std::string_view(msg).substr(0, 127), req), ParseStatus::kIncomplete);
  EXPECT_EQ(p.Parse(std::string_view(msg).substr(0, 128), req), ParseStatus::kHeadersTooLarge);
}

TEST(ParserLimits, ManyHeadersAre431) {
  std::string msg = "GET / HTTP/1.1\r\nHost: a\r\n";
  while (msg.size() < 9000) msg += "X-Filler: 0123456789\r\n";
  msg += "\r\n";
  Request req;
  EXPECT_EQ(ParseAll(msg, req), ParseStatus::kHeadersTooLarge);
}

TEST(ParserLimits, BodyAtTheLimit) {
  const Limits limits{1024, 16};
  Request req;
  const std::string ok =
      "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 16\r\n\r\n" + std::string(16, 'b');
  EXPECT_EQ(ParseAll(ok, req, limits), ParseStatus::kComplete);
  EXPECT_EQ(ParseAll("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 17\r\n\r\n", req, limits),
            ParseStatus::kBodyTooLarge);
}

}  // namespace
}  // namespace refserver::http
