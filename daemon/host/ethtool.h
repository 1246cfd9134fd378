// Offloads (GRO, GSO, TSO, ...), interrupt coalescing, ring sizes and channel counts of a
// device, through the SIOCETHTOOL ioctl in the caller's network namespace. talawah.io 2021: GRO off
// (+part of 4%) and adaptive-rx coalescing (+28% with busy polling); Dropbox 2017: ring sizes and
// coalescing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "host/result.h"

namespace tunescope::host {

struct Offloads {
  std::optional<bool> gro;
  std::optional<bool> gso;
  std::optional<bool> tso;
  std::optional<bool> sg;
  std::optional<bool> rx_checksum;
  std::optional<bool> tx_checksum;
};

struct Coalesce {
  std::uint32_t rx_usecs = 0;
  std::uint32_t rx_max_frames = 0;
  std::uint32_t tx_usecs = 0;
  std::uint32_t tx_max_frames = 0;
  bool adaptive_rx = false;
  bool adaptive_tx = false;
};

struct Rings {
  std::uint32_t rx_max = 0, rx = 0;
  std::uint32_t tx_max = 0, tx = 0;
};

struct Channels {
  std::uint32_t rx = 0, tx = 0, other = 0, combined = 0;
  std::uint32_t max_rx = 0, max_tx = 0, max_combined = 0;
};

struct EthtoolInfo {
  std::string device;
  Result<Offloads> offloads = Result<Offloads>::Error("not read");
  Result<Coalesce> coalesce = Result<Coalesce>::Error("not read");  // EOPNOTSUPP on lo, veth
  Result<Rings> rings = Result<Rings>::Error("not read");
  Result<Channels> channels = Result<Channels>::Error("not read");
};

Result<Offloads> ReadOffloads(std::string_view device);
Result<Coalesce> ReadCoalesce(std::string_view device);
Result<Rings> ReadRings(std::string_view device);
Result<Channels> ReadChannels(std::string_view device);
EthtoolInfo ReadEthtool(std::string_view device);

}  // namespace tunescope::host
