// Behaviour tests: the real refserver binary, over loopback sockets.
#include <dirent.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <random>
#include <sstream>

#include "param_name.h"
#include "refserver_harness.h"

namespace refserver::testing {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view kJsonBody = "{\"message\":\"Hello, World!\"}";

class RefServerTest : public ::testing::Test {
 protected:
  void StartServer(const std::vector<std::string>& args = {}) {
    ASSERT_TRUE(server_.Start(args)) << server_.error();
  }
  void TearDown() override {
    if (server_.pid() > 0) {
      EXPECT_TRUE(server_.Alive()) << "refserver died during the test";
      EXPECT_EQ(server_.Stop(), 0) << "refserver did not exit 0 on SIGTERM";
    }
  }
  Server server_;
};

void ExpectJson(const std::optional<HttpResponse>& r) {
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, kJsonBody);
  EXPECT_EQ(r->Header("content-type"), "application/json");
  EXPECT_EQ(r->Header("content-length"), "27");
}

void ExpectPlaintext(const std::optional<HttpResponse>& r) {
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "Hello, World!");
  EXPECT_EQ(r->Header("content-type"), "text/plain");
  EXPECT_EQ(r->Header("content-length"), "13");
}

TEST_F(RefServerTest, EndpointsAndRequiredHeaders) {
  StartServer({"--workers", "1"});
  Client c(server_.port());
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.Send(Get("/json")));
  const auto json = c.Read();
  ExpectJson(json);
  for (const char* h : {"server", "date", "content-type", "content-length"}) {
    EXPECT_EQ(json->Count(h), 1u) << h;
  }
  EXPECT_EQ(json->Header("server"), "refserver");
  ASSERT_TRUE(c.Send(Get("/plaintext")));
  ExpectPlaintext(c.Read());
}

TEST_F(RefServerTest, NotFoundKeepsTheConnection) {
  StartServer({"--workers", "1"});
  Client c(server_.port());
  ASSERT_TRUE(c.Send(Get("/nope")));
  auto r = c.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  ASSERT_TRUE(c.Send(Get("/json")));
  ExpectJson(c.Read());
}

TEST_F(RefServerTest, HeadAndMethodNotAllowed) {
  StartServer({"--workers", "1"});
  Client c(server_.port());
  ASSERT_TRUE(c.Send("HEAD /json HTTP/1.1\r\nHost: a\r\n\r\n"));
  auto r = c.Read(5s, /*head=*/true);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->Header("content-length"), "27");
  ASSERT_TRUE(c.Send("DELETE /json HTTP/1.1\r\nHost: a\r\n\r\n"));
  r = c.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);
  EXPECT_EQ(r->Header("allow"), "GET, HEAD");
  // HEAD sent no body: the next response starts right after the 405.
  ASSERT_TRUE(c.Send(Get("/json")));
  ExpectJson(c.Read());
}

TEST_F(RefServerTest, KeepAliveManyRequests) {
  StartServer({"--workers", "1"});
  Client c(server_.port());
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(c.Send(Get(i % 2 ? "/json" : "/plaintext")));
    auto r = c.Read();
    ASSERT_TRUE(r) << "request " << i;
    ASSERT_EQ(r->status, 200);
  }
}

TEST_F(RefServerTest, PipelinedBatchAnsweredInOrder) {
  StartServer({"--workers", "1"});
  Client c(server_.port());
  std::string batch;
  for (int i = 0; i < 16; ++i) batch += Get(i % 3 == 0 ? "/plaintext" : "/json");
  ASSERT_TRUE(c.Send(batch));
  for (int i = 0; i < 16; ++i) {
    auto r = c.Read();
    if (i % 3 == 0) {
      ExpectPlaintext(r);
    } else {
      ExpectJson(r);
    }
  }
}

TEST_F(RefServerTest, PipelinedByteByByte) {
  StartServer({"--workers", "1"});
  Client c(server_.port());
  const std::string stream = Get("/json") + Get("/plaintext") + Get("/x");
  for (char ch : stream) {
    ASSERT_TRUE(c.Send(std::string_view(&ch, 1)));
    std::this_thread::sleep_for(200us);
  }
  ExpectJson(c.Read());
  ExpectPlaintext(c.Read());
  auto r = c.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
}

TEST_F(RefServerTest, BatchLargerThanTheOutputBuffer) {
  StartServer({"--workers", "1"});
  Client c(server_.port());
  std::string batch;
  for (int i = 0; i < 400; ++i) batch += Get("/json");  // ~60 KB of responses
  ASSERT_TRUE(c.Send(batch));
  for (int i = 0; i < 400; ++i) {
    auto r = c.Read();
    ASSERT_TRUE(r) << i;
    ASSERT_EQ(r->body, kJsonBody);
  }
}

TEST_F(RefServerTest, ClientThatReadsLateGetsEverything) {
  // Enough pipelined requests that the server's socket send buffer fills: the server must park
  // the connection (EPOLLOUT), stop reading, and resume when the client reads.
  StartServer({"--workers", "1"});
  Client c(server_.port());
  constexpr int kRequests = 30000;
  std::thread sender([&] {
    std::string chunk;
    for (int i = 0; i < 100; ++i) chunk += Get("/plaintext");
    for (int i = 0; i < kRequests / 100; ++i) {
      if (!c.Send(chunk)) return;
    }
  });
  std::this_thread::sleep_for(500ms);
  int got = 0;
  for (; got < kRequests; ++got) {
    auto r = c.Read(10s);
    if (!r || r->body != "Hello, World!") break;
  }
  sender.join();
  EXPECT_EQ(got, kRequests);
}

TEST_F(RefServerTest, MalformedRequestIs400AndCloses) {
  StartServer({"--workers", "1"});
  Client c(server_.port());
  ASSERT_TRUE(c.Send(Get("/json") + "GARBAGE\r\n\r\n" + Get("/json")));
  ExpectJson(c.Read());
  auto r = c.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(r->Header("connection"), "close");
  EXPECT_TRUE(c.WaitClosed(3s));
  EXPECT_TRUE(c.buffered().empty()) << "nothing may follow the 400";
}

TEST_F(RefServerTest, HugeHeadersAre431AndClose) {
  StartServer({"--workers", "1"});
  Client c(server_.port());
  ASSERT_TRUE(c.Send(Get("/json", "X-Big: " + std::string(9000, 'a') + "\r\n")));
  auto r = c.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 431);
  EXPECT_TRUE(c.WaitClosed(3s));
}

TEST_F(RefServerTest, LargeBodyIs413AndClose) {
  StartServer({"--workers", "1"});
  Client c(server_.port());
  ASSERT_TRUE(c.Send("POST /json HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\n\r\n" +
                     std::string(20000, 'b')));
  auto r = c.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_TRUE(c.WaitClosed(3s));
}

TEST_F(RefServerTest, SmallBodyIsConsumed) {
  StartServer({"--workers", "1"});
  Client c(server_.port());
  ASSERT_TRUE(
      c.Send("POST /nope HTTP/1.1\r\nHost: a\r\nContent-Length: 12\r\n\r\nGET /x H\r\n\r\n" +
             Get("/json")));
  auto r = c.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  ExpectJson(c.Read());
}

TEST_F(RefServerTest, ChunkedIs501AndVersion2Is505) {
  StartServer({"--workers", "1"});
  {
    Client c(server_.port());
    ASSERT_TRUE(c.Send("POST /json HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"));
    auto r = c.Read();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 501);
    EXPECT_TRUE(c.WaitClosed(3s));
  }
  Client c(server_.port());
  ASSERT_TRUE(c.Send("GET /json HTTP/2.0\r\n\r\n"));
  auto r = c.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 505);
}

TEST_F(RefServerTest, ConnectionCloseAndHttp10) {
  StartServer({"--workers", "1"});
  {
    Client c(server_.port());
    ASSERT_TRUE(c.Send(Get("/json", "Connection: close\r\n") + Get("/json")));
    auto r = c.Read();
    ExpectJson(r);
    EXPECT_EQ(r->Header("connection"), "close");
    EXPECT_TRUE(c.WaitClosed(3s));
    EXPECT_TRUE(c.buffered().empty()) << "requests after Connection: close are not answered";
  }
  {
    Client c(server_.port());
    ASSERT_TRUE(c.Send("GET /json HTTP/1.0\r\n\r\n"));
    ExpectJson(c.Read());
    EXPECT_TRUE(c.WaitClosed(3s));
  }
  Client c(server_.port());
  ASSERT_TRUE(c.Send("GET /json HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
  auto r = c.Read();
  ExpectJson(r);
  EXPECT_EQ(r->Header("connection"), "keep-alive");
  ASSERT_TRUE(c.Send("GET /plaintext HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
  ExpectPlaintext(c.Read());
}

TEST_F(RefServerTest, IdleConnectionTimesOut) {
  StartServer({"--workers", "1", "--timeout", "1"});
  Client c(server_.port());
  ASSERT_TRUE(c.Send(Get("/json")));
  ExpectJson(c.Read());
  const auto start = Clock::now();
  EXPECT_FALSE(c.WaitClosed(900ms)) << "closed before the 1 s timeout";
  EXPECT_TRUE(c.WaitClosed(3s)) << "idle connection not closed";
  EXPECT_LT(Clock::now() - start, 3500ms);
}

TEST_F(RefServerTest, SlowClientTimesOutWhileTrickling) {
  StartServer({"--workers", "1", "--timeout", "1"});
  Client c(server_.port());
  // A request trickled at 5 bytes/s never completes; arriving bytes must not extend the timeout.
  const std::string slow = "GET /json HTTP/1.1\r\nHost: a\r\nX-Slow: " + std::string(100, 'x');
  const auto start = Clock::now();
  bool closed = false;
  for (char ch : slow) {
    if (!c.Send(std::string_view(&ch, 1)) || c.WaitClosed(200ms)) {
      closed = true;
      break;
    }
  }
  EXPECT_TRUE(closed);
  EXPECT_LT(Clock::now() - start, 3500ms);
}

TEST_F(RefServerTest, BusyClientIsNotTimedOut) {
  StartServer({"--workers", "1", "--timeout", "1"});
  Client c(server_.port());
  for (int i = 0; i < 8; ++i) {  // 3.2 s of requests, 400 ms apart
    ASSERT_TRUE(c.Send(Get("/json"))) << i;
    ExpectJson(c.Read());
    std::this_thread::sleep_for(400ms);
  }
}

TEST_F(RefServerTest, ConnectionLimit) {
  StartServer({"--workers", "2", "--max-conns", "2"});
  auto a = std::make_unique<Client>(server_.port());
  Client b(server_.port());
  for (Client* c : {a.get(), &b}) {
    ASSERT_TRUE(c->Send(Get("/json")));
    ExpectJson(c->Read());
  }
  {
    Client over(server_.port());
    auto r = over.Read();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 503);
    EXPECT_TRUE(over.WaitClosed(3s));
  }
  a.reset();  // frees a slot once the server sees the close
  bool served = false;
  for (int attempt = 0; attempt < 50 && !served; ++attempt) {
    Client again(server_.port());
    ASSERT_TRUE(again.Send(Get("/json")));
    auto r = again.Read();
    served = r && r->status == 200;
    if (!served) std::this_thread::sleep_for(20ms);
  }
  EXPECT_TRUE(served);
  ASSERT_TRUE(b.Send(Get("/plaintext")));
  ExpectPlaintext(b.Read());
}

std::time_t ParseHttpDate(const std::string& s) {
  std::tm tm{};
  const char* end = strptime(s.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (end == nullptr || *end != '\0' || s.size() != 29) return -1;
  return timegm(&tm);
}

TEST_F(RefServerTest, DateHeaderFormatAndRefresh) {
  StartServer({"--workers", "1"});
  Client c(server_.port());
  ASSERT_TRUE(c.Send(Get("/json")));
  auto first = c.Read();
  ASSERT_TRUE(first);
  const std::string d1 = first->Header("date");
  const std::time_t t1 = ParseHttpDate(d1);
  ASSERT_NE(t1, -1) << "not an IMF-fixdate: '" << d1 << "'";
  EXPECT_LE(std::abs(std::time(nullptr) - t1), 2) << d1;
  // Weekday must match the date.
  char expected[64];
  std::tm tm{};
  gmtime_r(&t1, &tm);
  std::strftime(expected, sizeof(expected), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  EXPECT_EQ(d1, expected);

  std::this_thread::sleep_for(1100ms);
  ASSERT_TRUE(c.Send(Get("/json")));
  auto second = c.Read();
  ASSERT_TRUE(second);
  const std::time_t t2 = ParseHttpDate(second->Header("date"));
  EXPECT_GE(t2, t1 + 1) << "Date not refreshed after a second";
  EXPECT_LE(std::abs(std::time(nullptr) - t2), 2);
}

TEST(RefServerFlags, BadFlagsExit2WithOneLine) {
  const std::vector<std::vector<std::string>> bad = {
      {"--bogus"}, {"--workers", "zero"}, {"--listen", "localhost"}, {"--timeout"}};
  for (const auto& args : bad) {
    const ExitResult r = RunToExit(args);
    EXPECT_EQ(r.exit_code, 2) << args[0];
    EXPECT_TRUE(r.out.empty());
    ASSERT_FALSE(r.err.empty());
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_EQ(r.err.back(), '\n');
  }
}

TEST(RefServerFlags, HelpAndVersion) {
  ExitResult r = RunToExit({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("--usdt-sample"), std::string::npos);
  r = RunToExit({"--version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_TRUE(r.out.starts_with("refserver ")) << r.out;
}

TEST(RefServerSignals, SigintAndSigtermExitZeroWithOpenConnections) {
  for (int sig : {SIGINT, SIGTERM}) {
    Server s;
    ASSERT_TRUE(s.Start({})) << s.error();
    Client c(s.port());
    ASSERT_TRUE(c.Send(Get("/json") + "GET /partial"));
    ExpectJson(c.Read());
    EXPECT_EQ(s.Stop(sig), 0) << "signal " << sig;
  }
}

// Every combination a ladder step uses must still speak correct HTTP.
class TuningFlags : public ::testing::TestWithParam<std::vector<std::string>> {};

TEST_P(TuningFlags, KeepAliveAndPipelining) {
  Server s;
  ASSERT_TRUE(s.Start(GetParam())) << s.error();
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < 8; ++i) clients.push_back(std::make_unique<Client>(s.port()));
  for (auto& c : clients) {
    std::string batch;
    for (int i = 0; i < 16; ++i) batch += Get(i % 2 ? "/json" : "/plaintext");
    ASSERT_TRUE(c->Send(batch));
  }
  for (auto& c : clients) {
    for (int i = 0; i < 16; ++i) {
      auto r = c->Read();
      if (i % 2) {
        ExpectJson(r);
      } else {
        ExpectPlaintext(r);
      }
    }
  }
  EXPECT_EQ(s.Stop(), 0);
}

INSTANTIATE_TEST_SUITE_P(
    Ladder, TuningFlags,
    ::testing::Values(std::vector<std::string>{},
                      std::vector<std::string>{"--no-pin", "--no-reuseport", "--no-batch-send",
                                               "--no-recv-send", "--no-date-cache"},
                      std::vector<std::string>{"--no-reuseport", "--workers", "3"},
                      std::vector<std::string>{"--no-cbpf", "--workers", "3"},
                      std::vector<std::string>{"--no-batch-send"},
                      std::vector<std::string>{"--no-recv-send"},
                      std::vector<std::string>{"--no-date-cache"},
                      std::vector<std::string>{"--usdt-sample", "7"}),
    [](const ::testing::TestParamInfo<std::vector<std::string>>& p) {
      // The flags as a test name: {"--no-cbpf", "--workers", "3"} -> "no_cbpf_workers_3".
      std::string name = tunescope::testing::ArgsTestName(p.param);
      return name.empty() ? std::string("all_tunings_on") : name;
    });

TEST_F(RefServerTest, SurvivesRandomBytes) {
  StartServer({"--workers", "2", "--timeout", "1"});
  std::mt19937 rng(12345);
  for (int i = 0; i < 200; ++i) {
    Client c(server_.port());
    std::string junk(1 + rng() % 3000, '\0');
    for (char& ch : junk) ch = static_cast<char>(rng());
    if (i % 2) junk = Get("/json").substr(0, rng() % 30) + junk;  // valid start, junk after
    c.Send(junk);
    c.WaitClosed(std::chrono::milliseconds(i % 10 == 0 ? 50 : 0));
  }
  Client c(server_.port());
  ASSERT_TRUE(c.Send(Get("/json")));
  ExpectJson(c.Read());
}

// --- CPU pinning and SO_ATTACH_REUSEPORT_CBPF -------------------------------------------------

std::vector<int> AllowedCpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> cpus;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    for (int i = 0; i < CPU_SETSIZE; ++i) {
      if (CPU_ISSET(i, &set)) cpus.push_back(i);
    }
  }
  return cpus;
}

std::vector<std::string> ListDir(const std::string& dir) {
  std::vector<std::string> names;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) {
      if (e->d_name[0] != '.') names.push_back(e->d_name);
    }
    closedir(d);
  }
  return names;
}

std::string ReadFile(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Cpus_allowed_list of each thread other than the main one.
std::vector<std::string> WorkerAffinities(pid_t pid) {
  std::vector<std::string> out;
  for (const auto& tid : ListDir("/proc/" + std::to_string(pid) + "/task")) {
    if (tid == std::to_string(pid)) continue;
    const std::string status =
        ReadFile("/proc/" + std::to_string(pid) + "/task/" + tid + "/status");
    const std::size_t at = status.find("Cpus_allowed_list:");
    if (at == std::string::npos) continue;
    std::string v = status.substr(at + 18, status.find('\n', at) - at - 18);
    v.erase(0, v.find_first_not_of(" \t"));
    out.push_back(v);
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(RefServerTuning, WorkersArePinnedUnlessNoPin) {
  const std::vector<int> cpus = AllowedCpus();
  if (cpus.size() < 2) GTEST_SKIP() << "needs 2 CPUs in the affinity mask";
  {
    Server s;
    ASSERT_TRUE(s.Start({"--workers", "2"})) << s.error();
    const std::vector<std::string> expected = {std::to_string(cpus[0]), std::to_string(cpus[1])};
    EXPECT_EQ(WorkerAffinities(s.pid()), expected);
    EXPECT_EQ(s.Stop(), 0);
  }
  Server s;
  ASSERT_TRUE(s.Start({"--workers", "2", "--no-pin"})) << s.error();
  for (const auto& a : WorkerAffinities(s.pid())) {
    EXPECT_NE(a, std::to_string(cpus[0]));
    EXPECT_NE(a, std::to_string(cpus[1]));
  }
  EXPECT_EQ(s.Stop(), 0);
}

// Inode of the server-side socket of the loopback connection from client port `client_port`.
unsigned long ServerSocketInode(std::uint16_t server_port, std::uint16_t client_port) {
  std::istringstream tcp(ReadFile("/proc/net/tcp"));
  std::string line;
  std::getline(tcp, line);  // header
  while (std::getline(tcp, line)) {
    unsigned local_ip, local_port, remote_ip, remote_port, state;
    unsigned long inode = 0;
    int uid = 0, timeout = 0;
    char rest[64];
    if (std::sscanf(line.c_str(), " %*d: %x:%x %x:%x %x %63s %63s %63s %d %d %lu", &local_ip,
                    &local_port, &remote_ip, &remote_port, &state, rest, rest, rest, &uid, &timeout,
                    &inode) == 11 &&
        local_port == server_port && remote_port == client_port) {
      return inode;
    }
  }
  return 0;
}

// Index (in creation order) of the refserver epoll instance watching the socket `inode`.
int WorkerOfSocket(pid_t pid, unsigned long inode) {
  const std::string fd_dir = "/proc/" + std::to_string(pid) + "/fd/";
  std::vector<int> epolls;
  int socket_fd = -1;
  for (const auto& name : ListDir(fd_dir)) {
    char target[256] = {};
    if (readlink((fd_dir + name).c_str(), target, sizeof(target) - 1) <= 0) continue;
    const std::string t = target;
    if (t == "anon_inode:[eventpoll]") epolls.push_back(std::stoi(name));
    if (t == "socket:[" + std::to_string(inode) + "]") socket_fd = std::stoi(name);
  }
  if (socket_fd < 0) return -1;
  std::sort(epolls.begin(), epolls.end());  // workers create theirs in order
  for (std::size_t i = 0; i < epolls.size(); ++i) {
    const std::string info =
        ReadFile("/proc/" + std::to_string(pid) + "/fdinfo/" + std::to_string(epolls[i]));
    std::istringstream lines(info);
    std::string line;
    while (std::getline(lines, line)) {
      int tfd = -1;
      if (std::sscanf(line.c_str(), "tfd: %d", &tfd) == 1 && tfd == socket_fd) {
        return static_cast<int>(i);
      }
    }
  }
  return -1;
}

// On loopback the SYN is processed on the connecting CPU, so with the CBPF program the worker
// pinned to that CPU must own the connection.
TEST(RefServerTuning, CbpfSteersConnectionsToTheWorkerOnTheirCpu) {
  const std::vector<int> cpus = AllowedCpus();
  if (cpus.size() < 2) GTEST_SKIP() << "needs 2 CPUs in the affinity mask";
  Server s;
  ASSERT_TRUE(s.Start({"--workers", "2"})) << s.error();
  for (int round = 0; round < 10; ++round) {
    for (int w = 0; w < 2; ++w) {
      int owner = -2;
      std::thread client([&] {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(cpus[w], &set);
        if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set) != 0) return;
        Client c(s.port());
        if (!c.Send(Get("/json")) || !c.Read()) return;
        sockaddr_in local{};
        socklen_t len = sizeof(local);
        getsockname(c.fd(), reinterpret_cast<sockaddr*>(&local), &len);
        owner = WorkerOfSocket(s.pid(), ServerSocketInode(s.port(), ntohs(local.sin_port)));
      });
      client.join();
      EXPECT_EQ(owner, w) << "connection from CPU " << cpus[w] << " (round " << round << ")";
    }
  }
  EXPECT_EQ(s.Stop(), 0);
}

// The USDT notes a tracer (tunescope reqlat) attaches to, each with a semaphore.
TEST(RefServerUsdt, ProbeNotesWithSemaphores) {
  FILE* p = popen("readelf -n " REFSERVER_BINARY " 2>&1", "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  char buf[4096];
  while (std::size_t n = fread(buf, 1, sizeof(buf), p)) out.append(buf, n);
  pclose(p);
  for (const char* probe : {"request_parsed", "response_queued"}) {
    const std::size_t at = out.find(std::string("Name: ") + probe);
    ASSERT_NE(at, std::string::npos) << probe << "\n" << out;
    const std::size_t provider = out.rfind("Provider: ", at);
    ASSERT_NE(provider, std::string::npos);
    EXPECT_EQ(out.substr(provider + 10, 9), "refserver");
    const std::size_t sem = out.find("Semaphore: ", at);
    ASSERT_NE(sem, std::string::npos);
    EXPECT_NE(out.substr(sem + 11, 18), "0x0000000000000000") << probe << " has no semaphore";
  }
}

}  // namespace
}  // namespace refserver::testing
