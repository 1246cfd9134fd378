// RAII owners for libbpf objects, and map readers shared by all probes.
#pragma once

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <unistd.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <unordered_set>
#include <vector>

namespace tunescope::probes {

struct LinkDeleter {
  void operator()(bpf_link* link) const { bpf_link__destroy(link); }
};
using LinkPtr = std::unique_ptr<bpf_link, LinkDeleter>;

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

// Number of per-CPU slots a BPF per-CPU map returns (possible CPUs, not online ones).
int PossibleCpus();

// Reads all per-CPU copies of one entry; nullopt if the key is absent.
template <typename T>
std::optional<std::vector<T>> ReadPerCpu(int map_fd, const void* key) {
  static_assert(sizeof(T) % 8 == 0, "per-CPU values are laid out in 8-byte strides");
  std::vector<T> values(static_cast<size_t>(PossibleCpus()));
  if (bpf_map_lookup_elem(map_fd, key, values.data()) != 0) return std::nullopt;
  return values;
}

template <typename T>
std::optional<std::vector<T>> ReadPerCpu(const bpf_map* map, uint32_t index) {
  return ReadPerCpu<T>(bpf_map__fd(map), &index);
}

// Iterates over the keys of a hash map (a snapshot: entries may come and go meanwhile). Each
// key once: when the key the walk stands on is deleted, the kernel starts over from the first
// bucket, and a key seen twice would be counted twice.
template <typename K>
std::vector<K> MapKeys(int map_fd, size_t limit) {
  static_assert(std::has_unique_object_representations_v<K>, "keys are compared as bytes");
  std::vector<K> keys;
  std::unordered_set<std::string> seen;
  K key{};
  K next{};
  const void* prev = nullptr;
  // Bounded: a map whose entries churn could restart the walk again and again.
  for (size_t steps = 0; keys.size() < limit && steps < 2 * limit + 16 &&
                         bpf_map_get_next_key(map_fd, prev, &next) == 0;
       ++steps) {
    if (seen.emplace(reinterpret_cast<const char*>(&next), sizeof next).second) {
      keys.push_back(next);
    }
    key = next;
    prev = &key;
  }
  return keys;
}

}  // namespace tunescope::probes
