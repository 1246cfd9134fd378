#include "worker.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>

#include "probes.h"
#include "response.h"

namespace refserver {
namespace {

// epoll_event.data.ptr values that are not connections.
char listen_tag;
char wake_tag;

constexpr int kMaxEvents = 256;
constexpr int kAcceptsPerEvent = 64;
constexpr std::int64_t kMaxDrainSeconds = 2;  // lingering close after an error response

std::int64_t MonotonicSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return ts.tv_sec;
}

}  // namespace

Worker::Worker(const WorkerConfig& config) : config_(config), opts_(*config.options) {}

Worker::~Worker() {
  while (open_ != nullptr) Close(open_);
}

bool Worker::Init(std::string& error) {
  epoll_.Reset(::epoll_create1(EPOLL_CLOEXEC));
  wake_.Reset(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!epoll_.valid() || !wake_.valid()) {
    error = std::string("epoll_create1/eventfd: ") + std::strerror(errno);
    return false;
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = &wake_tag;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, wake_.get(), &ev) != 0) {
    error = std::string("epoll_ctl(eventfd): ") + std::strerror(errno);
    return false;
  }
  ev.events = EPOLLIN | (config_.shared_listener ? EPOLLEXCLUSIVE : 0U);
  ev.data.ptr = &listen_tag;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, config_.listen_fd, &ev) != 0) {
    error = std::string("epoll_ctl(listener): ") + std::strerror(errno);
    return false;
  }
  free_.reserve(1024);
  return true;
}

void Worker::Stop() {
  const std::uint64_t one = 1;
  [[maybe_unused]] const ssize_t n = ::write(wake_.get(), &one, sizeof(one));
}

bool Worker::Pin(std::string& error) {
  if (config_.cpu >= 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(config_.cpu, &set);
    if (const int rc = pthread_setaffinity_np(pthread_self(), sizeof(set), &set); rc != 0) {
      error = "pinning worker " + std::to_string(config_.index) + " to CPU " +
              std::to_string(config_.cpu) + ": " + std::strerror(rc);
      return false;
    }
  }
  return true;
}

bool Worker::Run(std::string& error) {
  now_ = MonotonicSeconds();
  last_sweep_ = now_;
  epoll_event events[kMaxEvents];
  while (!stop_) {
    const int n = ::epoll_wait(epoll_.get(), events, kMaxEvents, 1000);
    if (n < 0) {
      if (errno == EINTR) continue;
      error = std::string("epoll_wait: ") + std::strerror(errno);
      return false;
    }
    now_ = MonotonicSeconds();
    if (opts_.date_cache) date_cache_.Update(std::time(nullptr));
    for (int i = 0; i < n; ++i) {
      void* tag = events[i].data.ptr;
      if (tag == &listen_tag) {
        Accept();
      } else if (tag == &wake_tag) {
        stop_ = true;
      } else {
        auto* c = static_cast<Connection*>(tag);
        if (c->want_write) {
          OnWritable(c);
        } else {
          OnReadable(c);
        }
      }
    }
    // After the events: a connection closed here may still have had an event in this batch.
    if (now_ != last_sweep_) {
      last_sweep_ = now_;
      Sweep();
    }
  }
  return true;
}

std::string_view Worker::Date() {
  if (opts_.date_cache) return date_cache_.Get();
  FormatHttpDate(std::time(nullptr), date_now_);
  return {date_now_, kHttpDateLength};
}

long Worker::Recv(int fd, char* buf, std::size_t len) const {
  return opts_.recv_send ? ::recv(fd, buf, len, 0) : ::read(fd, buf, len);
}

long Worker::Send(int fd, const char* buf, std::size_t len) const {
  return opts_.recv_send ? ::send(fd, buf, len, MSG_NOSIGNAL) : ::write(fd, buf, len);
}

void Worker::Accept() {
  for (int k = 0; k < kAcceptsPerEvent; ++k) {
    const int fd = ::accept4(config_.listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;  // EAGAIN (another worker took it), or EMFILE & co: retried next event
    if (config_.open_connections->fetch_add(1, std::memory_order_relaxed) >=
        opts_.max_connections) {
      config_.open_connections->fetch_sub(1, std::memory_order_relaxed);
      RejectOverLimit(fd);
      continue;
    }
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    Connection* c;
    if (!free_.empty()) {
      c = free_.back();
      free_.pop_back();
    } else {
      pool_.push_back(std::make_unique<Connection>());
      c = pool_.back().get();
    }
    c->fd = fd;
    c->seq = 0;
    c->deadline = now_ + opts_.idle_timeout_s;
    c->parser.Reset();
    c->in_len = c->out_sent = c->out_len = 0;
    c->closing = c->draining = c->want_write = false;
    c->probes_in_flight = 0;
    c->prev = nullptr;
    c->next = open_;
    if (open_ != nullptr) open_->prev = c;
    open_ = c;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = c;
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) Close(c);
  }
}

void Worker::RejectOverLimit(int fd) {
  char buf[kMaxResponseBytes];
  const Response r = WriteServiceUnavailable(Date(), buf);
  [[maybe_unused]] const ssize_t n = ::send(fd, buf, r.size, MSG_NOSIGNAL);
  ::close(fd);
}

void Worker::OnReadable(Connection* c) {
  if (c->draining) {
    char scratch[4096];
    const long r = Recv(c->fd, scratch, sizeof(scratch));
    if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) Close(c);
    return;
  }
  // One recv per readiness event: level-triggered epoll reports what is left.
  const long r = Recv(c->fd, c->in + c->in_len, kInBufferBytes - c->in_len);
  if (r <= 0) {
    if (r < 0 && (errno == EAGAIN || errno == EINTR)) return;
    Close(c);  // EOF or error; every complete request was answered already
    return;
  }
  c->in_len += static_cast<std::uint32_t>(r);
  Process(c);
}

void Worker::OnWritable(Connection* c) {
  if (!Flush(c) || c->want_write) return;
  if (!c->draining) Process(c);  // requests left in the input buffer while output was full
}

bool Worker::SampleThisRequest() {
  if (!probes::AnyEnabled()) return false;
  if (++sample_counter_ < opts_.usdt_sample) return false;
  sample_counter_ = 0;
  return true;
}

bool Worker::Process(Connection* c) {
  std::uint32_t off = 0;
  bool progress = false;
  while (!c->closing && off < c->in_len) {
    if (kOutBufferBytes - c->out_len < kMaxResponseBytes) {
      if (!Flush(c)) return false;
      if (c->want_write) break;  // resumes from OnWritable
    }
    http::Request req;
    const http::ParseStatus st = c->parser.Parse({c->in + off, c->in_len - off}, req);
    if (st == http::ParseStatus::kIncomplete) break;
    Response resp;
    std::uint64_t sampled_seq = 0;
    if (st == http::ParseStatus::kComplete) {
      ++c->seq;
      if (SampleThisRequest() && c->probes_in_flight < kMaxProbesInFlight) {
        sampled_seq = c->seq;
        probes::RequestParsed(c->fd, c->seq);
      }
      resp = WriteResponse(req, Date(), c->out + c->out_len);
      off += static_cast<std::uint32_t>(req.total_bytes);
      progress = true;
    } else {
      resp = WriteParseError(st, Date(), c->out + c->out_len);
      off = c->in_len;  // the rest of the stream cannot be framed
    }
    c->out_len += static_cast<std::uint32_t>(resp.size);
    if (sampled_seq != 0 && probes::ResponseQueuedEnabled()) {
      c->probes[c->probes_in_flight++] = {sampled_seq, c->out_len, resp.status};
    }
    if (resp.close) c->closing = true;
    if (!opts_.batch_send) {
      if (!Flush(c)) return false;
      if (c->want_write) break;
    }
  }
  if (off != 0) {
    std::memmove(c->in, c->in + off, c->in_len - off);
    c->in_len -= off;
  }
  if (c->closing) c->in_len = 0;
  // Deadlines move only with progress, so a client trickling one request times out.
  if (progress) c->deadline = now_ + opts_.idle_timeout_s;
  return Flush(c);
}

bool Worker::Flush(Connection* c) {
  while (c->out_sent < c->out_len) {
    const long r = Send(c->fd, c->out + c->out_sent, c->out_len - c->out_sent);
    if (r < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) {
        // Pause reading until the client takes what it asked for.
        if (!c->want_write && !SetEvents(c, EPOLLOUT)) return false;
        c->want_write = true;
        return true;
      }
      Close(c);
      return false;
    }
    c->out_sent += static_cast<std::uint32_t>(r);
    c->deadline = now_ + opts_.idle_timeout_s;
    int fired = 0;
    while (fired < c->probes_in_flight && c->probes[fired].end <= c->out_sent) {
      probes::ResponseQueued(c->fd, c->probes[fired].seq, c->probes[fired].status);
      ++fired;
    }
    if (fired != 0) {
      std::copy(c->probes + fired, c->probes + c->probes_in_flight, c->probes);
      c->probes_in_flight -= fired;
    }
  }
  c->out_sent = c->out_len = 0;
  if (c->want_write) {
    if (!SetEvents(c, EPOLLIN)) return false;
    c->want_write = false;
  }
  if (c->closing && !c->draining) {
    // Lingering close: shut the write side, read and drop what the client still sends, so
    // that our close does not turn into a reset that destroys the error response in flight.
    ::shutdown(c->fd, SHUT_WR);
    c->draining = true;
    c->deadline = now_ + std::min<std::int64_t>(opts_.idle_timeout_s, kMaxDrainSeconds);
  }
  return true;
}

bool Worker::SetEvents(Connection* c, std::uint32_t events) {
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = c;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, c->fd, &ev) != 0) {
    Close(c);
    return false;
  }
  return true;
}

void Worker::Close(Connection* c) {
  ::close(c->fd);
  c->fd = -1;
  config_.open_connections->fetch_sub(1, std::memory_order_relaxed);
  if (c->prev != nullptr) c->prev->next = c->next;
  if (c->next != nullptr) c->next->prev = c->prev;
  if (open_ == c) open_ = c->next;
  c->prev = c->next = nullptr;
  free_.push_back(c);
}

void Worker::Sweep() {
  for (Connection* c = open_; c != nullptr;) {
    Connection* next = c->next;
    if (now_ > c->deadline) Close(c);
    c = next;
  }
}

}  // namespace refserver
