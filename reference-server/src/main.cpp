// refserver: a small, tuned HTTP/1.1 server for the TechEmpower json and plaintext endpoints.
// main() parses flags, opens the listening sockets, starts one pinned worker thread per CPU and
// waits for SIGTERM/SIGINT.
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>

#include <atomic>
#include <cstdio>
#include <latch>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "listener.h"
#include "options.h"
#include "worker.h"

namespace {

std::vector<int> AllowedCpus() {
  std::vector<int> cpus;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
      if (CPU_ISSET(cpu, &set)) cpus.push_back(cpu);
    }
  }
  if (cpus.empty()) cpus.push_back(0);
  return cpus;
}

int Fail(const std::string& message) {
  std::fprintf(stderr, "refserver: %s\n", message.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  refserver::Options opts;
  std::string message;
  switch (refserver::ParseOptions(argc, argv, opts, message)) {
    case refserver::ParseOutcome::kExitOk:
      std::fputs(message.c_str(), stdout);
      return 0;
    case refserver::ParseOutcome::kUsageError:
      std::fprintf(stderr, "%s\n", message.c_str());
      return 2;
    case refserver::ParseOutcome::kRun:
      break;
  }

  // Signals go to sigwait() below; every thread inherits this mask.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);  // write() in --no-recv-send mode

  // Each connection is an fd: raise the soft limit to the hard one, and keep the connection
  // limit below it (at the fd limit accept() would fail on every wake-up instead of shedding).
  if (rlimit nofile{}; getrlimit(RLIMIT_NOFILE, &nofile) == 0) {
    nofile.rlim_cur = nofile.rlim_max;
    setrlimit(RLIMIT_NOFILE, &nofile);
    getrlimit(RLIMIT_NOFILE, &nofile);
    constexpr rlim_t kReservedFds = 64;
    if (nofile.rlim_cur != RLIM_INFINITY &&
        static_cast<rlim_t>(opts.max_connections) + kReservedFds > nofile.rlim_cur) {
      const rlim_t limit =
          nofile.rlim_cur > 2 * kReservedFds ? nofile.rlim_cur - kReservedFds : nofile.rlim_cur / 2;
      std::fprintf(stderr, "refserver: --max-conns lowered to %llu (RLIMIT_NOFILE %llu)\n",
                   static_cast<unsigned long long>(limit),
                   static_cast<unsigned long long>(nofile.rlim_cur));
      opts.max_connections = static_cast<int>(limit);
    }
  }

  const std::vector<int> cpus = AllowedCpus();
  const int workers = opts.workers > 0 ? opts.workers : static_cast<int>(cpus.size());
  std::vector<int> worker_cpus;
  for (int i = 0; i < workers; ++i) worker_cpus.push_back(cpus[i % cpus.size()]);

  std::string error;
  std::vector<refserver::UniqueFd> listeners = refserver::OpenListeners(
      opts.listen_addr, opts.listen_addr_len, opts.reuseport ? workers : 1, opts.reuseport, error);
  if (listeners.empty()) return Fail(opts.listen_text + ": " + error);
  if (opts.cbpf && !refserver::AttachCpuSteering(listeners[0].get(), worker_cpus, error)) {
    return Fail(error);
  }

  std::atomic<int> open_connections{0};
  std::vector<std::unique_ptr<refserver::Worker>> pool;
  for (int i = 0; i < workers; ++i) {
    refserver::WorkerConfig config;
    config.index = i;
    config.cpu = opts.pin ? worker_cpus[i] : -1;
    config.listen_fd = listeners[opts.reuseport ? i : 0].get();
    config.shared_listener = !opts.reuseport;
    config.options = &opts;
    config.open_connections = &open_connections;
    pool.push_back(std::make_unique<refserver::Worker>(config));
    if (!pool.back()->Init(error)) return Fail(error);
  }

  // Workers pin themselves first; "listening" is printed once all are pinned and serving.
  std::atomic<bool> failed{false};
  std::latch pinned(workers);
  std::vector<std::thread> threads;
  for (auto& w : pool) {
    threads.emplace_back([&failed, &pinned, worker = w.get()] {
      std::string worker_error;
      const bool ok = worker->Pin(worker_error);
      pinned.count_down();
      if (!ok || !worker->Run(worker_error)) {
        std::fprintf(stderr, "refserver: %s\n", worker_error.c_str());
        failed = true;
        kill(getpid(), SIGTERM);  // wakes main's sigwait
      }
    });
  }
  pinned.wait();
  if (!failed) {
    std::printf("refserver: listening on %s, %d workers\n",
                refserver::LocalAddressText(listeners[0].get()).c_str(), workers);
    std::fflush(stdout);
  }

  int sig = 0;
  sigwait(&stop_signals, &sig);
  for (auto& w : pool) w->Stop();
  for (auto& t : threads) t.join();
  return failed ? 1 : 0;
}
