// Unit tests of refserver's flag parsing.
#include "options.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace refserver {
namespace {

ParseOutcome Parse(std::vector<std::string> args, Options& opts, std::string& msg) {
  args.insert(args.begin(), "refserver");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  return ParseOptions(static_cast<int>(argv.size()), argv.data(), opts, msg);
}

TEST(Options, Defaults) {
  Options o;
  std::string msg;
  ASSERT_EQ(Parse({}, o, msg), ParseOutcome::kRun);
  EXPECT_EQ(o.workers, 0);
  EXPECT_TRUE(o.pin && o.reuseport && o.cbpf && o.batch_send && o.recv_send && o.date_cache);
  EXPECT_EQ(o.usdt_sample, 1u);
  const auto* a4 = reinterpret_cast<const sockaddr_in*>(&o.listen_addr);
  EXPECT_EQ(a4->sin_family, AF_INET);
  EXPECT_EQ(ntohs(a4->sin_port), 8080);
}

TEST(Options, AllFlags) {
  Options o;
  std::string msg;
  ASSERT_EQ(Parse({"--listen", "[::1]:9000", "--workers=3", "--timeout", "5", "--max-conns", "7",
                   "--usdt-sample", "100", "--no-pin", "--no-cbpf", "--no-batch-send",
                   "--no-recv-send", "--no-date-cache"},
                  o, msg),
            ParseOutcome::kRun)
      << msg;
  EXPECT_EQ(o.workers, 3);
  EXPECT_EQ(o.idle_timeout_s, 5);
  EXPECT_EQ(o.max_connections, 7);
  EXPECT_EQ(o.usdt_sample, 100u);
  EXPECT_FALSE(o.pin || o.cbpf || o.batch_send || o.recv_send || o.date_cache);
  EXPECT_TRUE(o.reuseport);
  const auto* a6 = reinterpret_cast<const sockaddr_in6*>(&o.listen_addr);
  EXPECT_EQ(a6->sin6_family, AF_INET6);
  EXPECT_EQ(ntohs(a6->sin6_port), 9000);
}

TEST(Options, NoReuseportImpliesNoCbpf) {
  Options o;
  std::string msg;
  ASSERT_EQ(Parse({"--no-reuseport"}, o, msg), ParseOutcome::kRun);
  EXPECT_FALSE(o.reuseport);
  EXPECT_FALSE(o.cbpf);
}

TEST(Options, HelpAndVersion) {
  Options o;
  std::string msg;
  EXPECT_EQ(Parse({"--help"}, o, msg), ParseOutcome::kExitOk);
  EXPECT_NE(msg.find("--no-cbpf"), std::string::npos);
  EXPECT_EQ(Parse({"--version"}, o, msg), ParseOutcome::kExitOk);
  EXPECT_TRUE(msg.starts_with("refserver "));
}

TEST(Options, BadFlagsAreOneLine) {
  const std::vector<std::vector<std::string>> bad = {
      {"--bogus"},           {"--workers"},           {"--workers", "0"},
      {"--workers", "x"},    {"--workers", "2x"},     {"--timeout", "-1"},
      {"--listen", "nope"},  {"--listen", "1.2.3.4"}, {"--listen", "1.2.3.4:65536"},
      {"--listen", "[::1]"}, {"--no-pin=1"},          {"--usdt-sample", "0"},
      {"positional"},
  };
  for (const auto& args : bad) {
    Options o;
    std::string msg;
    EXPECT_EQ(Parse(args, o, msg), ParseOutcome::kUsageError) << args[0];
    EXPECT_FALSE(msg.empty());
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
}

}  // namespace
}  // namespace refserver
