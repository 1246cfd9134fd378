// Shared life cycle of a probe built from a bpftool skeleton: open, keep only the programs of
// the chosen mode, configure rodata and map sizes, load, fill maps, attach through bpf_links.
#pragma once

#include <bpf/libbpf.h>

#include <cerrno>
#include <memory>
#include <string>
#include <vector>

#include "probes/bpf_handles.h"
#include "probes/probe.h"

namespace tunescope::probes {

// Programs whose name ends with a mode suffix load only in that mode; the others always.
void SelectModePrograms(bpf_object* obj, std::span<const ProbeMode> modes, const ProbeMode& chosen);

// Attaches every loaded program through its section's default attach (tp_btf, raw_tp,
// tracepoint, fentry, kprobe, ...). Appends to `links`; on error returns the failing program.
Status AttachLoadedPrograms(bpf_object* obj, std::vector<LinkPtr>& links);

std::vector<const bpf_program*> LoadedProgramsOf(const bpf_object* obj);

// --target-port values without repeats, in order; an error past `max` (the BPF array size).
Status UniqueTargetPorts(const ProbeConfig& config, size_t max, std::vector<uint16_t>& ports);

// Writes port -> slot + 1 into a BPF hash (0 means "not a target" to the programs).
Status FillPortSlots(int map_fd, const std::vector<uint16_t>& ports);

// Empties a map: zeroes every entry of an array (each CPU's copy), deletes every key of a hash.
Status ClearMap(const bpf_map* map);

// Reads the per-CPU "ts_map_full" counters (bpf/common/ts_bpf.h); names[i] labels slot i.
std::vector<MapFullCount> ReadMapFull(const bpf_object* obj,
                                      std::span<const std::string_view> names);

template <typename Skel>
struct SkeletonOps {
  Skel* (*open)(const bpf_object_open_opts*);
  int (*load)(Skel*);
  void (*destroy)(Skel*);
};

// What a probe declares about itself; map_full_names[i] labels slot i of its ts_map_full.
struct ProbeInfo {
  std::string_view name;
  std::string_view description;
  std::span<const ProbeMode> modes;
  std::span<const std::string_view> map_full_names;
  // Maps holding half-finished events (start stamps, in-flight requests), cleared on Reattach.
  std::span<const std::string_view> transient_maps = {};
};

template <typename Skel>
class SkeletonProbe : public Probe {
 public:
  SkeletonProbe(SkeletonOps<Skel> ops, ProbeInfo info)
      : ops_(ops), info_(info), skel_(nullptr, ops.destroy) {}

  std::string_view name() const override { return info_.name; }
  std::string_view description() const override { return info_.description; }
  std::span<const ProbeMode> modes() const override { return info_.modes; }

  std::vector<MapFullCount> MapFullCounts() const override {
    if (!skel_ || info_.map_full_names.empty()) return {};
    return ReadMapFull(skel_->obj, info_.map_full_names);
  }

  Status Start(const ProbeMode& mode, const ProbeConfig& config) final {
    Stop();
    mode_ = &mode;
    config_ = config;
    Status status = StartSteps(mode, config);
    if (!status.ok()) Stop();
    return status;
  }

  void Stop() override {
    links_.clear();  // detach before the programs go away
    skel_.reset();
    mode_ = nullptr;
  }

  void Detach() override { links_.clear(); }

  Status Reattach() final {
    if (!skel_ || mode_ == nullptr) return Status::Error("not started");
    if (!links_.empty()) return {};
    if (Status s = ForgetHalfFinished(*skel_); !s.ok()) return s;
    Status status = Attach(*skel_, *mode_, config_);
    if (!status.ok()) links_.clear();
    return status;
  }

  std::vector<const bpf_program*> LoadedPrograms() const override {
    return skel_ ? LoadedProgramsOf(skel_->obj) : std::vector<const bpf_program*>{};
  }

 protected:
  // Before load, in the chosen mode: rodata, map sizes, the mode's own preconditions.
  virtual Status Configure(Skel& /*skel*/, const ProbeMode& /*mode*/,
                           const ProbeConfig& /*config*/) {
    return {};
  }
  // After load, before attach: map contents (targets, filters).
  virtual Status Populate(Skel& /*skel*/, const ProbeConfig& /*config*/) { return {}; }
  // Before a window's re-attach, with nothing attached: drops the half-finished events; by
  // default empties the transient maps.
  virtual Status ForgetHalfFinished(Skel& skel) {
    for (std::string_view name : info_.transient_maps) {
      const bpf_map* map = bpf_object__find_map_by_name(skel.obj, std::string(name).c_str());
      if (map == nullptr) return Status::Error("no map " + std::string(name));
      if (Status s = ClearMap(map); !s.ok()) return s;
    }
    return {};
  }
  // Attach; by default every loaded program via its section name.
  virtual Status Attach(Skel& skel, const ProbeMode& /*mode*/, const ProbeConfig& /*config*/) {
    return AttachLoadedPrograms(skel.obj, links_);
  }

  Skel* skel() const { return skel_.get(); }
  std::vector<LinkPtr>& links() { return links_; }

 private:
  Status StartSteps(const ProbeMode& mode, const ProbeConfig& config) {
    LIBBPF_OPTS(bpf_object_open_opts, opts);
    if (!config.btf_path.empty()) opts.btf_custom_path = config.btf_path.c_str();
    skel_.reset(ops_.open(&opts));
    if (!skel_) return Status::Error(ErrnoMessage("open", errno));
    SelectModePrograms(skel_->obj, modes(), mode);
    if (Status s = Configure(*skel_, mode, config); !s.ok()) return s;
    if (int err = ops_.load(skel_.get()); err != 0) return Status::Error(ErrnoMessage("load", err));
    if (Status s = Populate(*skel_, config); !s.ok()) return s;
    return Attach(*skel_, mode, config);
  }

  SkeletonOps<Skel> ops_;
  ProbeInfo info_;
  std::unique_ptr<Skel, void (*)(Skel*)> skel_;
  std::vector<LinkPtr> links_;
  const ProbeMode* mode_ = nullptr;  // points into the probe's own constant mode table
  ProbeConfig config_;
};

}  // namespace tunescope::probes
