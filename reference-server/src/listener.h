// Listening sockets: one SO_REUSEPORT socket per worker (or a single shared one), and the
// classic-BPF program that steers each new connection to the worker on the CPU that received it.
#pragma once

#include <sys/socket.h>

#include <span>
#include <string>
#include <vector>

#include "unique_fd.h"

namespace refserver {

// Opens `count` listening sockets on `addr`. With reuseport they form one SO_REUSEPORT group,
// bound in order so that socket i has index i in the group; without it `count` must be 1.
// A port of 0 is resolved by the first socket and reused by the others. On failure returns an
// empty vector and sets `error`.
std::vector<UniqueFd> OpenListeners(const sockaddr_storage& addr, socklen_t addr_len, int count,
                                    bool reuseport, std::string& error);

// Attaches SO_ATTACH_REUSEPORT_CBPF to the group of `fd`: a connection received on
// socket_cpus[i] goes to socket i; CPUs not listed fall back to the kernel's hash.
bool AttachCpuSteering(int fd, std::span<const int> socket_cpus, std::string& error);

// "ADDR:PORT" (or "[ADDR6]:PORT") of a bound socket.
std::string LocalAddressText(int fd);

}  // namespace refserver
