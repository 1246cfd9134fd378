// Parsers and readers of configuration facts, on fixture text and on the fixture tree
// tests/host/fixtures/tree4 (a 4-CPU host with a 4-queue NIC eth0).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "fixtures.h"
#include "host/audit.h"
#include "host/cpu_security.h"
#include "host/cpufreq.h"
#include "host/irq_affinity.h"
#include "host/net_devices.h"
#include "host/processes.h"
#include "host/seccomp.h"
#include "host/sockets.h"
#include "host/sysctl.h"
#include "host/text.h"

namespace tunescope::host {
namespace {

using testing::ReadFixture;
using testing::TreePaths;

TEST(Text, CpuListsAndMasks) {
  EXPECT_EQ(ParseCpuList("0-3,8,10-11\n"), (std::vector<int>{0, 1, 2, 3, 8, 10, 11}));
  EXPECT_EQ(ParseCpuList(""), std::vector<int>{});
  EXPECT_FALSE(ParseCpuList("3-1").has_value());
  EXPECT_FALSE(ParseCpuList("a").has_value());
  EXPECT_FALSE(ParseCpuList("1,,2").has_value());
  EXPECT_FALSE(ParseCpuList("0-99999999").has_value());
  EXPECT_EQ(ParseCpuMask("f\n"), (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(ParseCpuMask("00000000"), std::vector<int>{});
  EXPECT_EQ(ParseCpuMask("1,00000001"), (std::vector<int>{0, 32}));
  EXPECT_FALSE(ParseCpuMask("xyz").has_value());
  EXPECT_FALSE(ParseCpuMask("").has_value());
  EXPECT_FALSE(ParseCpuMask("123456789").has_value());  // a word has at most 8 digits
  EXPECT_EQ(FormatCpuList({0, 1, 2, 3, 8, 10, 11}), "0-3,8,10-11");
  EXPECT_EQ(FormatCpuList({}), "");
}

TEST(Sysctl, NamesMapToProcSysPaths) {
  const HostPaths p{"/proc", "/sys"};
  EXPECT_EQ(*SysctlPath(p, "net.core.somaxconn"), "/proc/sys/net/core/somaxconn");
  EXPECT_EQ(*SysctlPath(p, "fs.file-max"), "/proc/sys/fs/file-max");
  EXPECT_EQ(*SysctlPath(p, "net/ipv4/conf/eth0.100/rp_filter"),
            "/proc/sys/net/ipv4/conf/eth0.100/rp_filter");
  EXPECT_FALSE(SysctlPath(p, "").ok());
  EXPECT_FALSE(SysctlPath(p, "net..core").ok());
  EXPECT_FALSE(SysctlPath(p, "net/../../etc/passwd").ok());
  EXPECT_FALSE(SysctlPath(p, "/etc/passwd").ok());
  EXPECT_FALSE(SysctlPath(p, "net.core.somaxconn; rm").ok());
  EXPECT_EQ(NormalizeSysctlValue("4096\t131072\t6291456\n"), "4096 131072 6291456");
}

TEST(Sysctl, ReadsTheAdvisorTableFromATree) {
  const SysctlTable t = ReadAdvisorSysctls(TreePaths("tree4"));
  EXPECT_EQ(t.get_int("net.core.somaxconn"), 4096);
  EXPECT_EQ(t.get_int("net.ipv4.tcp_tw_reuse"), 2);
  EXPECT_EQ(*t.find("net.core.default_qdisc")->value, "fq_codel");
  EXPECT_EQ(*t.find("net.ipv4.tcp_congestion_control")->value, "cubic");
  EXPECT_EQ(*t.find("net.ipv4.ip_local_port_range")->value, "32768 60999");
  EXPECT_EQ(t.get_int("fs.file-max"), 9223372036854775807LL);
  // Not in the tree: an error that names the sysctl, not a crash or a zero.
  const SysctlValue* missing = t.find("net.core.netdev_budget_usecs");
  ASSERT_NE(missing, nullptr);
  EXPECT_FALSE(missing->value.ok());
  EXPECT_NE(missing->value.error().find("net.core.netdev_budget_usecs"), std::string::npos);
  EXPECT_FALSE(t.get_int("net.core.netdev_budget_usecs").has_value());
  EXPECT_FALSE(t.get_int("net.core.default_qdisc").has_value());
}

TEST(Sysctl, WriteThenReadBackRestores) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("tunescope_sysctl_" + std::to_string(getpid()));
  fs::create_directories(dir / "proc/sys/net/core");
  { std::ofstream(dir / "proc/sys/net/core/busy_read") << "0\n"; }
  const HostPaths p{(dir / "proc").string(), (dir / "sys").string()};
  auto before = ReadSysctl(p, "net.core.busy_read");
  ASSERT_TRUE(before.ok()) << before.error();
  EXPECT_EQ(*before, "0");
  ASSERT_TRUE(WriteSysctl(p, "net.core.busy_read", "50").ok());
  EXPECT_EQ(*ReadSysctl(p, "net.core.busy_read"), "50");
  ASSERT_TRUE(WriteSysctl(p, "net.core.busy_read", *before).ok());
  EXPECT_EQ(ReadSysctlInt(p, "net.core.busy_read")->value_or(-1), 0);
  auto bad = WriteSysctl(p, "net.core.no_such_knob", "1");
  EXPECT_FALSE(bad.ok());
  EXPECT_NE(bad.error().find("no_such_knob"), std::string::npos);
  fs::remove_all(dir);
}

TEST(Cmdline, ThisHostAndATunedHost) {
  const KernelCmdline live = ParseCmdline(ReadFixture("cmdline_live.txt"));
  EXPECT_EQ(live.value("mitigations"), "auto,no_guest_host,no_guest_guest");
  EXPECT_FALSE(live.mitigations_off());
  EXPECT_FALSE(live.pti_off());
  EXPECT_EQ(live.value("pti"), "on");
  EXPECT_FALSE(live.audit().has_value());
  // Arguments after "--" belong to init, not the kernel.
  EXPECT_FALSE(live.has("--addr"));
  EXPECT_TRUE(live.has("quiet"));

  const KernelCmdline tuned = ParseCmdline(ReadFixture("cmdline_tuned.txt"));
  EXPECT_TRUE(tuned.mitigations_off());
  EXPECT_TRUE(tuned.nospectre_v1());
  EXPECT_TRUE(tuned.nospectre_v2());
  EXPECT_TRUE(tuned.pti_off());
  EXPECT_TRUE(tuned.mds_off());
  EXPECT_TRUE(tuned.tsx_async_abort_off());
  EXPECT_EQ(tuned.audit(), false);
  EXPECT_EQ(tuned.value("acpi_osi"), "Windows 2015");
  EXPECT_FALSE(tuned.has("single"));

  const KernelCmdline empty = ParseCmdline("");
  EXPECT_TRUE(empty.params.empty());
  EXPECT_TRUE(ParseCmdline("nopti").pti_off());
  EXPECT_TRUE(ParseCmdline("spectre_v2=off").nospectre_v2());
  // Unterminated quote: kept as one parameter, no crash.
  EXPECT_EQ(ParseCmdline("a=\"b c").params.size(), 1u);
}

TEST(Vulnerabilities, ClassifiesTreeEntries) {
  auto v = ReadVulnerabilities(TreePaths("tree4"));
  ASSERT_TRUE(v.ok()) << v.error();
  EXPECT_EQ(v->items.size(), 4u);
  EXPECT_EQ(v->find("spectre_v2")->state, VulnState::kVulnerable);
  EXPECT_EQ(v->find("spectre_v1")->state, VulnState::kMitigated);
  EXPECT_EQ(v->find("l1tf")->state, VulnState::kNotAffected);
  EXPECT_EQ(v->count(VulnState::kVulnerable), 2);
  EXPECT_EQ(ClassifyVulnerability("Mitigation: PTI\n"), VulnState::kMitigated);
  EXPECT_EQ(ClassifyVulnerability("Unknown: No mitigations"), VulnState::kUnknown);
  auto none = ReadVulnerabilities(TreePaths("tree_vm"));
  EXPECT_FALSE(none.ok());
  EXPECT_NE(none.error().find("vulnerabilities"), std::string::npos);
}

TEST(Seccomp, ParsesStatus) {
  auto f = ParseSeccompStatus(ReadFixture("status_seccomp_filter.txt"));
  ASSERT_TRUE(f.ok()) << f.error();
  EXPECT_EQ(f->mode, SeccompMode::kFilter);
  EXPECT_EQ(f->filters, 1);
  auto live = ParseSeccompStatus(ReadFixture("status_live.txt"));
  ASSERT_TRUE(live.ok()) << live.error();
  EXPECT_EQ(live->mode, SeccompMode::kDisabled);
  EXPECT_EQ(live->filters, 0);
  auto bad = ParseSeccompStatus(ReadFixture("status_seccomp_bad.txt"), "/proc/7/status");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().find("/proc/7/status"), std::string::npos);
  EXPECT_FALSE(ParseSeccompStatus(ReadFixture("status_no_seccomp.txt")).ok());
  auto tree = ReadSeccomp(TreePaths("tree4"), 4242);
  ASSERT_TRUE(tree.ok()) << tree.error();
  EXPECT_EQ(to_string(tree->mode), "filter");
  auto gone = ReadSeccomp(TreePaths("tree4"), 999999);
  ASSERT_FALSE(gone.ok());
  EXPECT_NE(gone.error().find("999999/status"), std::string::npos);
}

TEST(Processes, ScanFindsDaemonsByComm) {
  auto procs = ListProcesses(TreePaths("tree4"));
  ASSERT_TRUE(procs.ok()) << procs.error();
  EXPECT_EQ(procs->size(), 6u);
  EXPECT_EQ(FindByComm(*procs, "irqbalance"), std::vector<int>{612});
  EXPECT_TRUE(FindByComm(*procs, "irqbalanc").empty());
  EXPECT_EQ(ParseComm("kauditd\n"), "kauditd");
}

TEST(Audit, AssessFromProcessesAndCmdline) {
  auto procs = ListProcesses(TreePaths("tree4"));
  ASSERT_TRUE(procs.ok());
  const KernelCmdline on = ParseCmdline("quiet");
  const AuditState a =
      AssessAudit(*procs, on, Result<KernelAuditStatus>::Error("no netlink in test"));
  EXPECT_EQ(a.auditd_pids, std::vector<int>{640});
  EXPECT_TRUE(a.kauditd_present);
  EXPECT_FALSE(a.cmdline_audit.has_value());
  EXPECT_EQ(a.likely_active(), true) << "auditd runs";
  const AuditState off =
      AssessAudit({}, ParseCmdline("audit=0"), Result<KernelAuditStatus>::Error("no netlink"));
  EXPECT_EQ(off.likely_active(), false);
  // kauditd alone (audit compiled in) says nothing when the kernel cannot be asked.
  ProcessInfo kauditd;
  kauditd.pid = 2;
  kauditd.comm = "kauditd";
  const AuditState unknown = AssessAudit({kauditd}, on, Result<KernelAuditStatus>::Error("EPERM"));
  EXPECT_FALSE(unknown.likely_active().has_value());
  // What the kernel says wins over guesses.
  KernelAuditStatus disabled;
  disabled.enabled = 0;
  EXPECT_EQ(AssessAudit(*procs, on, disabled).likely_active(), false);
}

TEST(CpuFreq, GovernorsOrNoCpufreqOnVms) {
  auto f = ReadCpufreq(TreePaths("tree4"));
  ASSERT_TRUE(f.ok()) << f.error();
  EXPECT_EQ(f->governor_by_cpu.size(), 4u);
  EXPECT_EQ(f->governors(), (std::vector<std::string>{"performance", "powersave"}));
  EXPECT_FALSE(f->all("performance"));
  auto vm = ReadCpufreq(TreePaths("tree_vm"));
  ASSERT_FALSE(vm.ok());
  EXPECT_NE(vm.error().find("no cpufreq on this host"), std::string::npos);
}

TEST(NetDevices, QueuesAndRpsXpsMasksFromTree) {
  auto devs = ReadNetDevices(TreePaths("tree4"));
  ASSERT_TRUE(devs.ok()) << devs.error();
  ASSERT_EQ(devs->size(), 2u);
  const NetDevice& eth0 = (*devs)[0];
  EXPECT_EQ(eth0.name, "eth0");
  EXPECT_EQ(eth0.ifindex, 2);
  EXPECT_TRUE(eth0.has_device);
  EXPECT_EQ(eth0.rx_queues, 4);
  EXPECT_EQ(eth0.tx_queues, 4);
  EXPECT_EQ(eth0.gro_flush_timeout, 20000);
  EXPECT_EQ(eth0.operstate, "up");
  ASSERT_EQ(eth0.xps.size(), 4u);
  for (int q = 0; q < 4; ++q) {
    EXPECT_EQ(eth0.xps[q].queue, "tx-" + std::to_string(q));
    ASSERT_TRUE(eth0.xps[q].cpus.ok());
    EXPECT_EQ(*eth0.xps[q].cpus, std::vector<int>{q});
  }
  EXPECT_EQ(*eth0.rps[3].cpus, (std::vector<int>{0, 1, 2, 3}));
  EXPECT_TRUE(eth0.rps_enabled());
  EXPECT_TRUE(eth0.xps_enabled());
  const NetDevice& lo = (*devs)[1];
  EXPECT_EQ(lo.name, "lo");
  EXPECT_FALSE(lo.has_device);
  EXPECT_FALSE(lo.rps_enabled());
  EXPECT_FALSE(ReadNetDevice(TreePaths("tree4"), "eth9").ok());
  EXPECT_FALSE(ReadNetDevice(TreePaths("tree4"), "../eth0").ok());
}

TEST(IrqAffinity, QueueIrqsOfTheNicAndTheirAffinity) {
  auto table = ParseInterrupts(ReadFixture("interrupts_4cpu_nic.txt"));
  ASSERT_TRUE(table.ok());
  auto irqs = ReadDeviceIrqs(TreePaths("tree4"), "eth0", *table);
  ASSERT_TRUE(irqs.ok()) << irqs.error();
  ASSERT_EQ(irqs->irqs.size(), 5u);  // 40..44; not eth10's 45
  EXPECT_EQ(irqs->queue_irqs(), 4);  // 44 ("eth0") is the link IRQ
  EXPECT_EQ(irqs->pinned_queue_irqs(), 3);
  EXPECT_EQ(irqs->queue_cpus(), (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(*irqs->irqs[1].affinity, std::vector<int>{1});
  EXPECT_EQ(irqs->irqs[3].effective, std::vector<int>{3});
  EXPECT_EQ(irqs->irqs[1].per_cpu[1], 5123456u);
}

TEST(IrqAffinity, MatchesByNameWithoutSysfs) {
  auto live = ParseInterrupts(ReadFixture("interrupts_live.txt"));
  ASSERT_TRUE(live.ok());
  // This VM's eth0 is virtio2 (see /sys/class/net/eth0/device): input.0 and output.0 queues.
  const auto irqs = MatchDeviceIrqs(*live, "eth0", {}, "virtio2");
  ASSERT_EQ(irqs.size(), 3u);
  int queues = 0;
  for (const auto& i : irqs) queues += i.queue ? 1 : 0;
  EXPECT_EQ(queues, 2);
  EXPECT_TRUE(MatchDeviceIrqs(*live, "eth0", {}, "").empty());
  auto nic = ParseInterrupts(ReadFixture("interrupts_4cpu_nic.txt"));
  EXPECT_EQ(MatchDeviceIrqs(*nic, "eth1", {}, "").size(), 0u);
  EXPECT_EQ(MatchDeviceIrqs(*nic, "eth10", {}, "").size(), 1u);
  EXPECT_TRUE(LooksLikeQueueIrq("mlx5_comp3@pci:0000:81:00.0"));
  EXPECT_FALSE(LooksLikeQueueIrq("mlx5_async0@pci:0000:81:00.0"));
  EXPECT_FALSE(LooksLikeQueueIrq("virtio2-config"));
  EXPECT_TRUE(LooksLikeQueueIrq("ens5-Tx-Rx-0"));
}

TEST(PacketSockets, ParsesDhclientStyleSockets) {
  auto s = ParseProcNetPacket(ReadFixture("packet_dhclient.txt"));
  ASSERT_TRUE(s.ok()) << s.error();
  ASSERT_EQ(s->size(), 2u);
  EXPECT_EQ((*s)[0].type, 3);
  EXPECT_EQ((*s)[0].protocol, 0x0003u);  // ETH_P_ALL, what dhclient opens
  EXPECT_EQ((*s)[0].ifindex, 2);
  EXPECT_TRUE((*s)[0].running);
  EXPECT_EQ((*s)[0].inode, 21544u);
  EXPECT_EQ((*s)[1].protocol, 0x88ccu);  // LLDP
  auto empty = ParseProcNetPacket(ReadFixture("packet_empty.txt"));
  ASSERT_TRUE(empty.ok()) << empty.error();
  EXPECT_TRUE(empty->empty());
  auto bad = ParseProcNetPacket(ReadFixture("packet_truncated.txt"), "/proc/net/packet");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().find("/proc/net/packet: line 2"), std::string::npos);
  EXPECT_FALSE(ParseProcNetPacket("").ok());
}

// The clients' ends of local connections name their sockets' inodes, from the server's table or
// another namespace's; a TIME_WAIT entry (inode 0) on the same address and port hides nothing.
TEST(TcpListeners, LocalClientsEndsGiveTheirInodes) {
  auto sock = [](std::string local, unsigned lport, std::string remote, unsigned rport,
                 unsigned state, std::uint64_t inode) {
    TcpSocket t;
    t.local_address = std::move(local);
    t.local_port = lport;
    t.remote_address = std::move(remote);
    t.remote_port = rport;
    t.state = state;
    t.inode = inode;
    return t;
  };
  constexpr unsigned kEstablished = 0x01, kTimeWait = 0x06;
  const std::string lo = "0100007F", veth_peer = "0200FD0A";
  const std::vector<TcpSocket> server_ns{
      sock(lo, 8080, lo, 40000, kEstablished, 100),                 // from a client listed below
      sock(lo, 40000, lo, 8080, kTimeWait, 0),                      // an earlier connection's end
      sock(lo, 40000, lo, 8080, kEstablished, 200),                 // the live client's end
      sock(lo, 8080, lo, 40001, kEstablished, 101),                 // loopback, its end not listed
      sock("0100FD0A", 8080, veth_peer, 50000, kEstablished, 102),  // from the host
  };
  const std::vector<TcpSocket> host_ns{sock(veth_peer, 50000, "0100FD0A", 8080, kEstablished, 300)};
  const PortListeners pl = FindListeners(server_ns, 8080, host_ns);
  EXPECT_EQ(pl.established, 3);
  EXPECT_EQ(pl.local_peers, 3);
  EXPECT_EQ(pl.client_inodes, (std::vector<std::uint64_t>{200, 300}));
  EXPECT_TRUE(FindListeners(server_ns, 8080).client_inodes == std::vector<std::uint64_t>{200})
      << "without the host's table its client is not found";
}

TEST(TcpListeners, ReuseportGroupOnPort) {
  auto v4 = ParseProcNetTcp(ReadFixture("tcp_reuseport.txt"), false);
  ASSERT_TRUE(v4.ok()) << v4.error();
  EXPECT_EQ(v4->size(), 6u);
  const PortListeners pl = FindListeners(*v4, 8080);
  EXPECT_EQ(pl.listeners.size(), 4u);  // the ESTABLISHED socket on 8080 is not a listener
  EXPECT_EQ(pl.largest_group(), 4);
  EXPECT_TRUE(pl.reuseport());
  EXPECT_FALSE(FindListeners(*v4, 22).reuseport());
  EXPECT_EQ(FindListeners(*v4, 22).listeners.size(), 1u);
  EXPECT_TRUE(FindListeners(*v4, 9).listeners.empty());

  // Tree: 4 IPv4 listeners + 1 IPv6 on 8080: 5 listeners, group of 4.
  auto tree = ReadPortListeners(TreePaths("tree4"), 8080);
  ASSERT_TRUE(tree.ok()) << tree.error();
  EXPECT_EQ(tree->listeners.size(), 5u);
  EXPECT_EQ(tree->largest_group(), 4);

  auto live = ParseProcNetTcp(ReadFixture("tcp_live.txt"), false);
  ASSERT_TRUE(live.ok()) << live.error();
  EXPECT_EQ(FindListeners(*live, 2024).listeners.size(), 1u);

  auto bad = ParseProcNetTcp(ReadFixture("tcp_truncated.txt"), false, "/proc/net/tcp");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().find("/proc/net/tcp: line 2"), std::string::npos);
  // An IPv4 file read as IPv6 is refused, not misparsed.
  EXPECT_FALSE(ParseProcNetTcp(ReadFixture("tcp_reuseport.txt"), true).ok());
}

}  // namespace
}  // namespace tunescope::host
