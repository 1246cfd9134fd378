// One worker: an epoll loop on its own thread, with its own listening socket (or a shared one),
// serving every connection it accepts from start to end.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "connection.h"
#include "http_date.h"
#include "options.h"
#include "unique_fd.h"

namespace refserver {

struct WorkerConfig {
  int index = 0;
  int cpu = -1;  // pin to this CPU; -1 for no pinning
  int listen_fd = -1;
  bool shared_listener = false;  // the socket is in every worker's epoll (EPOLLEXCLUSIVE)
  const Options* options = nullptr;
  std::atomic<int>* open_connections = nullptr;  // shared by all workers: the connection limit
};

class Worker {
 public:
  explicit Worker(const WorkerConfig& config);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  bool Init(std::string& error);
  // Pins the calling thread to the worker's CPU (if any).
  bool Pin(std::string& error);
  // Runs the loop on the calling thread until Stop(); returns false on a fatal error.
  bool Run(std::string& error);
  // Thread-safe; makes Run() return.
  void Stop();

 private:
  void Accept();
  void RejectOverLimit(int fd);
  void OnReadable(Connection* c);
  void OnWritable(Connection* c);
  // Parses and answers every complete request in c->in, then sends. False if c was closed.
  bool Process(Connection* c);
  // Sends queued output. False if c was closed.
  bool Flush(Connection* c);
  bool SetEvents(Connection* c, std::uint32_t events);
  void Close(Connection* c);
  void Sweep();
  bool SampleThisRequest();
  std::string_view Date();
  long Recv(int fd, char* buf, std::size_t len) const;
  long Send(int fd, const char* buf, std::size_t len) const;

  WorkerConfig config_;
  const Options& opts_;
  UniqueFd epoll_;
  UniqueFd wake_;  // eventfd written by Stop()
  bool stop_ = false;
  std::int64_t now_ = 0;  // monotonic seconds, updated once per loop
  std::int64_t last_sweep_ = 0;
  DateCache date_cache_;
  char date_now_[kHttpDateLength] = {};  // --no-date-cache
  std::uint32_t sample_counter_ = 0;
  Connection* open_ = nullptr;
  std::vector<Connection*> free_;
  std::vector<std::unique_ptr<Connection>> pool_;
};

}  // namespace refserver
