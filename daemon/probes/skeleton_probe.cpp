#include "probes/skeleton_probe.h"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tunescope::probes {
namespace {

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

void SelectModePrograms(bpf_object* obj, std::span<const ProbeMode> modes,
                        const ProbeMode& chosen) {
  bpf_program* prog;
  bpf_object__for_each_program(prog, obj) {
    std::string_view name = bpf_program__name(prog);
    bool belongs_to_a_mode = false;
    for (const ProbeMode& m : modes) belongs_to_a_mode |= EndsWith(name, m.suffix);
    bpf_program__set_autoload(prog, !belongs_to_a_mode || EndsWith(name, chosen.suffix));
  }
}

Status AttachLoadedPrograms(bpf_object* obj, std::vector<LinkPtr>& links) {
  bpf_program* prog;
  bpf_object__for_each_program(prog, obj) {
    if (!bpf_program__autoload(prog)) continue;
    bpf_link* link = bpf_program__attach(prog);
    if (link == nullptr) {
      return Status::Error(ErrnoMessage(std::string("attach ") + bpf_program__name(prog), errno));
    }
    links.emplace_back(link);
  }
  return {};
}

std::vector<const bpf_program*> LoadedProgramsOf(const bpf_object* obj) {
  std::vector<const bpf_program*> out;
  const bpf_program* prog = nullptr;
  while ((prog = bpf_object__next_program(obj, const_cast<bpf_program*>(prog))) != nullptr) {
    if (bpf_program__fd(prog) >= 0) out.push_back(prog);
  }
  return out;
}

Status UniqueTargetPorts(const ProbeConfig& config, size_t max, std::vector<uint16_t>& ports) {
  ports.clear();
  for (uint16_t port : config.target_ports) {
    if (std::find(ports.begin(), ports.end(), port) == ports.end()) ports.push_back(port);
  }
  if (ports.size() > max) return Status::Error("at most " + std::to_string(max) + " target ports");
  return {};
}

Status FillPortSlots(int map_fd, const std::vector<uint16_t>& ports) {
  for (size_t slot = 0; slot < ports.size(); ++slot) {
    uint32_t port = ports[slot];
    auto value = static_cast<uint32_t>(slot + 1);
    if (bpf_map_update_elem(map_fd, &port, &value, BPF_ANY) != 0) {
      return Status::Error(ErrnoMessage("add target port " + std::to_string(port), errno));
    }
  }
  return {};
}

Status ClearMap(const bpf_map* map) {
  const int fd = bpf_map__fd(map);
  const std::string name = bpf_map__name(map);
  const bpf_map_type type = bpf_map__type(map);
  if (type == BPF_MAP_TYPE_ARRAY || type == BPF_MAP_TYPE_PERCPU_ARRAY) {
    size_t copies = type == BPF_MAP_TYPE_PERCPU_ARRAY ? static_cast<size_t>(PossibleCpus()) : 1;
    // Per-CPU values are laid out in 8-byte strides.
    const size_t value_bytes = copies * ((bpf_map__value_size(map) + 7) / 8 * 8);
    const uint32_t entries = bpf_map__max_entries(map);
    // One syscall for the whole array (xcpu's packet table has 16,384 slots), one per key
    // on a kernel without batch operations.
    std::vector<uint32_t> keys(entries);
    for (uint32_t key = 0; key < entries; ++key) keys[key] = key;
    std::vector<uint8_t> zeros(value_bytes * entries);
    uint32_t count = entries;
    if (bpf_map_update_batch(fd, keys.data(), zeros.data(), &count, nullptr) == 0) return {};
    for (uint32_t key = 0; key < entries; ++key) {
      if (bpf_map_update_elem(fd, &key, zeros.data(), BPF_ANY) != 0) {
        return Status::Error(ErrnoMessage("clear map " + name, errno));
      }
    }
    return {};
  }
  // The next key is fetched before the current one is deleted, so the walk keeps its place
  // (Reattach runs this while the probe is detached: nothing adds entries meanwhile).
  std::vector<uint8_t> key(bpf_map__key_size(map));
  std::vector<uint8_t> next(key.size());
  bool more = bpf_map_get_next_key(fd, nullptr, key.data()) == 0;
  while (more) {
    more = bpf_map_get_next_key(fd, key.data(), next.data()) == 0;
    if (bpf_map_delete_elem(fd, key.data()) != 0 && errno != ENOENT) {
      return Status::Error(ErrnoMessage("clear map " + name, errno));
    }
    key.swap(next);
  }
  return {};
}

std::vector<MapFullCount> ReadMapFull(const bpf_object* obj,
                                      std::span<const std::string_view> names) {
  std::vector<MapFullCount> out;
  const bpf_map* map = bpf_object__find_map_by_name(obj, "ts_map_full");
  if (map == nullptr || bpf_map__fd(map) < 0) return out;
  for (uint32_t i = 0; i < names.size(); ++i) {
    auto per_cpu = ReadPerCpu<uint64_t>(map, i);
    uint64_t total = 0;
    if (per_cpu) {
      for (uint64_t v : *per_cpu) total += v;
    }
    out.push_back({std::string(names[i]), total});
  }
  return out;
}

}  // namespace tunescope::probes
