#include "host/ethtool.h"

#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace tunescope::host {

namespace {

// Runs one SIOCETHTOOL command on `device`; returns 0 or an errno.
int EthtoolIoctl(std::string_view device, void* data) {
  if (device.empty() || device.size() >= IF_NAMESIZE) return ENODEV;
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno;
  ifreq ifr{};
  std::memcpy(ifr.ifr_name, device.data(), device.size());
  ifr.ifr_data = static_cast<char*>(data);
  const int rc = ::ioctl(fd, SIOCETHTOOL, &ifr);
  const int err = rc < 0 ? errno : 0;
  ::close(fd);
  return err;
}

std::string Describe(std::string_view device, const char* what, int err) {
  std::string msg =
      "ethtool " + std::string(what) + " on " + std::string(device) + ": " + std::strerror(err);
  if (err == EOPNOTSUPP) msg += " (driver does not report it)";
  return msg;
}

std::optional<bool> GetFlag(std::string_view device, std::uint32_t cmd, int* first_err) {
  ethtool_value v{};
  v.cmd = cmd;
  const int err = EthtoolIoctl(device, &v);
  if (err != 0) {
    if (*first_err == 0) *first_err = err;
    return std::nullopt;
  }
  return v.data != 0;
}

}  // namespace

Result<Offloads> ReadOffloads(std::string_view device) {
  Offloads o;
  int err = 0;
  o.gro = GetFlag(device, ETHTOOL_GGRO, &err);
  o.gso = GetFlag(device, ETHTOOL_GGSO, &err);
  o.tso = GetFlag(device, ETHTOOL_GTSO, &err);
  o.sg = GetFlag(device, ETHTOOL_GSG, &err);
  o.rx_checksum = GetFlag(device, ETHTOOL_GRXCSUM, &err);
  o.tx_checksum = GetFlag(device, ETHTOOL_GTXCSUM, &err);
  if (!o.gro && !o.gso && !o.tso && !o.sg && !o.rx_checksum && !o.tx_checksum) {
    return Result<Offloads>::Error(Describe(device, "offload flags", err));
  }
  return o;
}

Result<Coalesce> ReadCoalesce(std::string_view device) {
  ethtool_coalesce c{};
  c.cmd = ETHTOOL_GCOALESCE;
  if (const int err = EthtoolIoctl(device, &c); err != 0) {
    return Result<Coalesce>::Error(Describe(device, "coalesce", err));
  }
  Coalesce out;
  out.rx_usecs = c.rx_coalesce_usecs;
  out.rx_max_frames = c.rx_max_coalesced_frames;
  out.tx_usecs = c.tx_coalesce_usecs;
  out.tx_max_frames = c.tx_max_coalesced_frames;
  out.adaptive_rx = c.use_adaptive_rx_coalesce != 0;
  out.adaptive_tx = c.use_adaptive_tx_coalesce != 0;
  return out;
}

Result<Rings> ReadRings(std::string_view device) {
  ethtool_ringparam r{};
  r.cmd = ETHTOOL_GRINGPARAM;
  if (const int err = EthtoolIoctl(device, &r); err != 0) {
    return Result<Rings>::Error(Describe(device, "ring sizes", err));
  }
  return Rings{r.rx_max_pending, r.rx_pending, r.tx_max_pending, r.tx_pending};
}

Result<Channels> ReadChannels(std::string_view device) {
  ethtool_channels ch{};
  ch.cmd = ETHTOOL_GCHANNELS;
  if (const int err = EthtoolIoctl(device, &ch); err != 0) {
    return Result<Channels>::Error(Describe(device, "channels", err));
  }
  Channels out;
  out.rx = ch.rx_count;
  out.tx = ch.tx_count;
  out.other = ch.other_count;
  out.combined = ch.combined_count;
  out.max_rx = ch.max_rx;
  out.max_tx = ch.max_tx;
  out.max_combined = ch.max_combined;
  return out;
}

EthtoolInfo ReadEthtool(std::string_view device) {
  EthtoolInfo info;
  info.device = std::string(device);
  info.offloads = ReadOffloads(device);
  info.coalesce = ReadCoalesce(device);
  info.rings = ReadRings(device);
  info.channels = ReadChannels(device);
  return info;
}

}  // namespace tunescope::host
