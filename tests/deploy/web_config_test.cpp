// --web.config.file parsing and basic auth checks, without sockets.
#include "http/web_config.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tunescope::http {
namespace {

// htpasswd -nbBC 4 alice 's3cret:x' (cost 4 keeps the test fast; a colon in the password).
constexpr const char* kAliceHash = "$2y$04$lzA0PbIikABWZFO7/2eHm.oA3YNxJFuGxoTx2YELH4aI5HRn/Cx7e";

std::string Encode(const std::string& in) {
  static const char* k_alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    unsigned v = (static_cast<unsigned char>(in[i]) << 16) |
                 (static_cast<unsigned char>(in[i + 1]) << 8) |
                 static_cast<unsigned char>(in[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out += k_alphabet[(v >> s) & 63];
  }
  if (i + 1 == in.size()) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16;
    out += std::string{k_alphabet[(v >> 18) & 63], k_alphabet[(v >> 12) & 63], '=', '='};
  } else if (i + 2 == in.size()) {
    unsigned v =
        (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8);
    out += std::string{k_alphabet[(v >> 18) & 63], k_alphabet[(v >> 12) & 63],
                       k_alphabet[(v >> 6) & 63], '='};
  }
  return out;
}

std::string Basic(const std::string& user, const std::string& password) {
  return "Basic " + Encode(user + ":" + password);
}

TEST(WebConfig, ParsesUsersWithCommentsAndQuotes) {
  WebConfig config;
  std::string text = std::string("# tunescope\n---\nbasic_auth_users:   # who may scrape\n") +
                     "  alice: " + kAliceHash + "\n" + "  'bob smith': \"" + kAliceHash +
                     "\"  # same hash\n\n";
  Status s = ParseWebConfig(text, config);
  ASSERT_TRUE(s.ok()) << s.error();
  ASSERT_EQ(config.basic_auth_users.size(), 2u);
  EXPECT_EQ(config.basic_auth_users.at("alice"), kAliceHash);
  EXPECT_EQ(config.basic_auth_users.at("bob smith"), kAliceHash);
}

void ExpectError(const std::string& text, const std::string& fragment) {
  WebConfig config;
  Status s = ParseWebConfig(text, config);
  ASSERT_FALSE(s.ok()) << text;
  EXPECT_NE(s.error().find(fragment), std::string::npos) << s.error();
  EXPECT_EQ(s.error().find('\n'), std::string::npos) << "one line: " << s.error();
}

TEST(WebConfig, FailsClosedWithoutUsers) {
  // A web config is there to protect the endpoints: without users it must not open them.
  ExpectError("", "no basic_auth_users");
  ExpectError("# nothing yet\n", "no basic_auth_users");
  ExpectError("basic_auth_users: {}\n", "no basic_auth_users");
  ExpectError("basic_auth_users:\n", "no basic_auth_users");
}

std::string WithHash(const std::string& hash) {
  return "basic_auth_users:\n  alice: " + hash + "\n";
}

TEST(WebConfig, RefusesHashesThatCannotBeVerifiedInBoundedTime) {
  const std::string tail = std::string(kAliceHash).substr(7);  // salt and hash after "$2y$04$"
  ExpectError(WithHash("$2y$02$" + tail), "bcrypt cost 2, outside 4..14");  // never matches
  ExpectError(WithHash("$2y$15$" + tail), "bcrypt cost 15, outside 4..14");
  ExpectError(WithHash("$2y$31$" + tail), "bcrypt cost 31, outside 4..14");  // days per check
  ExpectError(WithHash("$2y$1x$" + tail), "two-digit cost");
  ExpectError(WithHash("$2y$04$" + tail.substr(0, tail.size() - 1) + "!"), "alphabet");
  // A salt whose last character carries stray bits: libxcrypt would never reproduce it.
  std::string bad_salt = kAliceHash;
  bad_salt[28] = 'z';
  ExpectError(WithHash(bad_salt), "not accepted by libxcrypt");
  WebConfig config;
  EXPECT_TRUE(ParseWebConfig(WithHash("$2y$14$" + tail), config).ok());
  EXPECT_TRUE(ParseWebConfig(WithHash(kAliceHash), config).ok());
}

TEST(WebConfig, RejectsWhatItCannotHonour) {
  ExpectError("basic_auth_users:\n  alice: secret\n", "line 2: the password of user \"alice\"");
  ExpectError("basic_auth_users:\n  alice: $1$abc$def\n", "not a bcrypt hash");
  ExpectError("basic_auth_users:\n  alice:\n", "the password of user \"alice\" is not");
  ExpectError("basic_auth_users:\n  alice: [a, b]\n", "the password of user \"alice\" is not");
  ExpectError(std::string("basic_auth_users:\n  a: ") + kAliceHash + "\n  a: " + kAliceHash,
              "line 3: user \"a\" appears twice");
  ExpectError(std::string("basic_auth_users: {a: ") + kAliceHash + "}\nbasic_auth_users: {}\n",
              "line 2: \"basic_auth_users\" appears twice");
  ExpectError("tls_server_config:\n  cert_file: c.pem\n", "line 1: tls_server_config is not");
  ExpectError("http_server_config:\n  headers:\n    X-Frame-Options: deny\n",
              "line 2: http_server_config: \"headers\" is not supported");
  ExpectError("basic_auth_user:\n", "\"basic_auth_user\" is not supported");
  ExpectError("rate_limit: {interval: 1s, burst: 2}\n", "\"rate_limit\" is not supported");
  ExpectError("basic_auth_excluded_paths: [/healthz]\n", "\"basic_auth_excluded_paths\" is not");
  ExpectError("  alice: x\n", "line 1: \"alice\" is not supported");  // a user at the top
  ExpectError("basic_auth_users: [a\n", "line 2:");                   // YAML's own error
  ExpectError("basic_auth_users:\n\talice: x\n", "line 2: illegal map value (a tab in the");
  ExpectError(std::string("basic_auth_users:\n  a: ") + kAliceHash + "\n    b: " + kAliceHash,
              "line 3:");
  ExpectError("basic_auth_users: alice\n", "line 1: basic_auth_users must be a map");
  ExpectError("basic_auth_users\n", "line 1: expected a map of settings");
  ExpectError("- basic_auth_users\n", "line 1: expected a map of settings");
  ExpectError("basic_auth_users:\n  alice: \"$2y$04$abc\n", "line 2:");  // unterminated quote
  ExpectError("basic_auth_users: {alice: x\n", "line 2:");               // unterminated flow map
}

// The examples of exporter-toolkit's docs and test data, as an operator would copy them.
TEST(WebConfig, AcceptsExporterToolkitExamples) {
  // web/testdata/web_config_users_noTLS.good.yml: costs 12, 14, 10, 10.
  const std::string users =
      "basic_auth_users:\n"
      "  alice: $2y$12$1DpfPeqF9HzHJt.EWswy1exHluGfbhnn3yXhR7Xes6m3WJqFg0Wby\n"
      "  bob: $2y$14$y7HJ017Lo/wKPDdzdHahNevjaqE.WRk3iKVLLt1yKO7RtIrNbvy6.\n"
      "  carol: $2y$10$qRTBuFoULoYNA7AQ/F3ck.trZBPyjV64.oA4ZsSBCIWvXuvQlQTuu\n"
      "  dave: $2y$10$2UXri9cIDdgeKjBo4Rlpx.U3ZLDV8X1IxKmsfOvhcM5oXQt/mLmXq\n";
  WebConfig config;
  Status s = ParseWebConfig(users, config);
  ASSERT_TRUE(s.ok()) << s.error();
  EXPECT_EQ(config.basic_auth_users.size(), 4u);
  EXPECT_EQ(config.basic_auth_users.at("bob"),
            "$2y$14$y7HJ017Lo/wKPDdzdHahNevjaqE.WRk3iKVLLt1yKO7RtIrNbvy6.");
  // docs/web-config.yml: TLS and basic auth; tunescope cannot serve TLS, so it says so.
  ExpectError(
      "# TLS and basic authentication configuration example.\n#\n"
      "# Additionally, a certificate and a key file are needed.\n"
      "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n\n"
      "# Usernames and passwords required to connect.\n"
      "basic_auth_users:\n"
      "  alice: $2y$10$mDwo.lAisC94iLAyP81MCesa29IzH37oigHC/42V2pdJlUprsJPze\n"
      "  bob: $2y$10$hLqFl9jSjoAAy95Z/zw8Ye8wkdMBM8c5Bn1ptYqP/AXyV0.oy0S8m\n",
      "line 4: tls_server_config is not supported");
  // web/testdata/web_config_users.good.yml: bob's cost 18 is beyond the bound (and TLS).
  ExpectError(std::string("basic_auth_users:\n") +
                  "  bob: $2y$18$4VeFDzXIoPHKnKTU3O3GH.N.vZu06CVqczYZ8WvfzrddFU6tGqjR.\n",
              "line 2: the hash of user \"bob\" has bcrypt cost 18, outside 4..14");
}

TEST(WebConfig, AcceptsEveryYamlForm) {
  const std::string h = kAliceHash;
  const std::vector<std::string> forms = {
      "basic_auth_users: {alice: " + h + "}\n",               // flow map
      "{basic_auth_users: {\"alice\": '" + h + "'}}\n",       // all flow
      "\"basic_auth_users\":\n    'alice': \"" + h + "\"\n",  // quoted keys
      "---\n# who may scrape\nbasic_auth_users:  # comment\n  alice: " + h + "  # c\n...\n",
      "basic_auth_users:\n  ? alice\n  : " + h + "\n",    // explicit key
      "basic_auth_users: &u\n  alice: " + h + "\n",       // anchor
      "basic_auth_users:\n  alice: >-\n    " + h + "\n",  // folded
      "http_server_config:\n  http2: false\nbasic_auth_users:\n  alice: " + h + "\n",
      "basic_auth_users:\r\n  alice: " + h + "\r\n",  // CRLF
  };
  for (const std::string& text : forms) {
    WebConfig config;
    Status s = ParseWebConfig(text, config);
    ASSERT_TRUE(s.ok()) << text << ": " << s.error();
    ASSERT_EQ(config.basic_auth_users.size(), 1u) << text;
    EXPECT_EQ(config.basic_auth_users.at("alice"), h) << text;
  }
}

TEST(WebConfig, LoadNamesTheFile) {
  WebConfig config;
  Status s = LoadWebConfig("/nonexistent/web.yml", config);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().find("/nonexistent/web.yml"), std::string::npos);
  // A directory opens as an empty stream: it must not read as a file without users.
  s = LoadWebConfig("/", config);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().find("Is a directory"), std::string::npos) << s.error();
}

TEST(Base64, DecodesPaddedAndRejectsJunk) {
  std::string out;
  ASSERT_TRUE(DecodeBase64("YWxpY2U6czNjcmV0", out));
  EXPECT_EQ(out, "alice:s3cret");
  ASSERT_TRUE(DecodeBase64("YQ==", out));
  EXPECT_EQ(out, "a");
  ASSERT_TRUE(DecodeBase64("YWI=", out));
  EXPECT_EQ(out, "ab");
  EXPECT_FALSE(DecodeBase64("YWI", out));
  EXPECT_FALSE(DecodeBase64("Y=Q=", out));
  EXPECT_FALSE(DecodeBase64("YW*=", out));
}

TEST(BasicAuth, AcceptsOnlyTheRightPassword) {
  BasicAuth auth(std::map<std::string, std::string>{{"alice", kAliceHash}});
  EXPECT_TRUE(auth.Allows(Basic("alice", "s3cret:x")));  // the password may hold a colon
  EXPECT_TRUE(auth.Allows(Basic("alice", "s3cret:x")));  // cached
  EXPECT_TRUE(auth.Allows("basic " + Encode("alice:s3cret:x")));
  EXPECT_FALSE(auth.Allows(Basic("alice", "s3cret")));
  EXPECT_FALSE(auth.Allows(Basic("alice", "")));
  EXPECT_FALSE(auth.Allows(Basic("bob", "s3cret:x")));
  EXPECT_FALSE(auth.Allows(""));
  EXPECT_FALSE(auth.Allows("Bearer abc"));
  EXPECT_FALSE(auth.Allows("Basic !!!!"));
  EXPECT_FALSE(auth.Allows("Basic " + Encode("no-colon")));
  EXPECT_TRUE(auth.Allows(Basic("alice", "s3cret:x")));  // a failure does not evict
}

TEST(BasicAuth, OneVerificationSlotServesChecksInTurn) {
  BasicAuth auth(std::map<std::string, std::string>{{"alice", kAliceHash}}, 1);
  EXPECT_EQ(auth.Check(Basic("alice", "s3cret:x")), BasicAuth::Result::kAllowed);
  EXPECT_EQ(auth.Check(Basic("alice", "wrong")), BasicAuth::Result::kDenied);
  EXPECT_EQ(auth.Check(Basic("alice", "s3cret:x")), BasicAuth::Result::kAllowed);  // cached
}

TEST(BasicAuth, GateAnswers401WithAChallenge) {
  HttpServer server;
  server.Handle("/metrics", [](const HttpRequest&) {
    return HttpResponse{200, "text/plain", "m", {}};
  });
  server.SetGate(BasicAuthGate(std::make_shared<const BasicAuth>(
      std::map<std::string, std::string>{{"alice", kAliceHash}})));
  HttpRequest request{"GET", "/metrics", "", ""};
  HttpResponse denied = server.Dispatch(request);
  EXPECT_EQ(denied.status, 401);
  EXPECT_NE(denied.headers["WWW-Authenticate"].find("Basic realm="), std::string::npos);
  request.path = "/nowhere";  // unknown paths are gated too: no probing without credentials
  EXPECT_EQ(server.Dispatch(request).status, 401);
  request.path = "/metrics";
  request.authorization = Basic("alice", "s3cret:x");
  EXPECT_EQ(server.Dispatch(request).status, 200);
}

}  // namespace
}  // namespace tunescope::http
