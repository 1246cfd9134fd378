// Parsers of the counter files: /proc/softirqs, /proc/interrupts, /proc/net/softnet_stat,
// /proc/net/netstat, /proc/net/snmp, /proc/net/sockstat.
#include <gtest/gtest.h>

#include "fixtures.h"
#include "host/cpu_accounting.h"
#include "host/cpu_security.h"
#include "host/interrupts.h"
#include "host/netfilter.h"
#include "host/seccomp.h"
#include "host/snmp.h"
#include "host/sockets.h"
#include "host/sockstat.h"
#include "host/softirqs.h"
#include "host/softnet_stat.h"

namespace tunescope::host {
namespace {

using testing::ReadFixture;

// The busy and task time of a CPU, what experiment rounds and the advisor divide by: idle and
// iowait are not busy; irq, softirq and steal are busy but not task time.
TEST(CpuTicks, BusyAndTaskTimeSkipIdleAndIowait) {
  const std::string stat =
      "cpu  10 0 10 1000 5 1 1 0 0 0\n"
      "cpu0 1 2 3 400 50 6 7 8 0 0\n"
      "cpu1 10 0 20 600 0 0 30 0 0 0\n"
      "intr 12345\nctxt 99\n";
  auto ticks = ParseProcStatCpus(stat);
  ASSERT_TRUE(ticks) << ticks.error();
  ASSERT_EQ(ticks->size(), 2u);
  EXPECT_EQ(ticks->at(0).busy(), 1u + 2 + 3 + 6 + 7 + 8);
  EXPECT_EQ(ticks->at(0).tasks(), 1u + 2 + 3);
  EXPECT_EQ(ticks->at(1).busy(), 60u);
  EXPECT_EQ(ticks->at(1).tasks(), 30u);
  EXPECT_FALSE(ParseProcStatCpus("cpu0 1 2\n")) << "a short line is no cpuN line";
}

TEST(Softirqs, ParsesCopyOfThisHost) {
  auto t = ParseSoftirqs(ReadFixture("softirqs_live.txt"));
  ASSERT_TRUE(t.ok()) << t.error();
  EXPECT_EQ(t->cpus, (std::vector<std::string>{"CPU0", "CPU1"}));
  EXPECT_EQ(t->rows.size(), 10u);
  const SoftirqRow* rx = t->find("NET_RX");
  ASSERT_NE(rx, nullptr);
  EXPECT_EQ(rx->per_cpu, (std::vector<std::uint64_t>{2312, 2728}));
  EXPECT_EQ(rx->total(), 5040u);
  EXPECT_EQ(t->find("NOPE"), nullptr);
}

TEST(Softirqs, ParsesFourCpus) {
  auto t = ParseSoftirqs(ReadFixture("softirqs_4cpu.txt"));
  ASSERT_TRUE(t.ok()) << t.error();
  ASSERT_EQ(t->cpus.size(), 4u);
  EXPECT_EQ(t->find("NET_RX")->per_cpu[0], 98765432u);
  EXPECT_EQ(t->find("NET_TX")->per_cpu[3], 78u);
  EXPECT_EQ(t->find("HI")->total(), 3u);
}

TEST(Softirqs, TruncatedInputIsAnErrorNamingTheFile) {
  auto t = ParseSoftirqs(ReadFixture("softirqs_truncated.txt"), "/proc/softirqs");
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.error().find("/proc/softirqs"), std::string::npos) << t.error();
  EXPECT_NE(t.error().find("line 7"), std::string::npos) << t.error();
}

TEST(Softirqs, GarbageIsAnError) {
  EXPECT_FALSE(ParseSoftirqs("").ok());
  EXPECT_FALSE(ParseSoftirqs("hello world\n").ok());
  EXPECT_FALSE(ParseSoftirqs("  CPU0\n NET_RX: x\n").ok());
  EXPECT_FALSE(ParseSoftirqs("  CPU0\n").ok());  // no rows
  EXPECT_FALSE(ParseSoftirqs("  CPU0\n NET_RX 1\n").ok());
}

TEST(Interrupts, ParsesFourCpuHostWithNicQueues) {
  auto t = ParseInterrupts(ReadFixture("interrupts_4cpu_nic.txt"));
  ASSERT_TRUE(t.ok()) << t.error();
  ASSERT_EQ(t->cpus.size(), 4u);
  const IrqLine* q1 = t->find_number(41);
  ASSERT_NE(q1, nullptr);
  EXPECT_EQ(q1->chip, "IR-PCI-MSI");
  EXPECT_EQ(q1->hwirq, "524289-edge");
  EXPECT_EQ(q1->actions, (std::vector<std::string>{"eth0-TxRx-1"}));
  EXPECT_EQ(q1->per_cpu, (std::vector<std::uint64_t>{0, 5123456, 0, 0}));
  const IrqLine* shared = t->find_number(46);
  ASSERT_NE(shared, nullptr);
  EXPECT_EQ(shared->actions, (std::vector<std::string>{"ahci[0000:00:17.0]", "ehci_hcd:usb1"}));
  const IrqLine* acpi = t->find_number(9);
  ASSERT_NE(acpi, nullptr);
  EXPECT_EQ(acpi->hwirq, "9-fasteoi");
  EXPECT_EQ(acpi->actions, (std::vector<std::string>{"acpi"}));
  // Named lines keep their description; ERR has a single total.
  bool saw_loc = false, saw_err = false;
  for (const auto& l : t->lines) {
    if (l.id == "LOC") {
      saw_loc = true;
      EXPECT_FALSE(l.number.has_value());
      EXPECT_EQ(l.description, "Local timer interrupts");
      EXPECT_EQ(l.total(), 20543123u + 21050456u + 19000000u + 18000000u);
    }
    if (l.id == "ERR") {
      saw_err = true;
      EXPECT_EQ(l.per_cpu.size(), 1u);
    }
  }
  EXPECT_TRUE(saw_loc);
  EXPECT_TRUE(saw_err);
}

TEST(Interrupts, ParsesCopyOfThisHost) {
  auto t = ParseInterrupts(ReadFixture("interrupts_live.txt"));
  ASSERT_TRUE(t.ok()) << t.error();
  EXPECT_EQ(t->cpus.size(), 2u);
  const IrqLine* rx = t->find_number(41);
  ASSERT_NE(rx, nullptr);
  EXPECT_EQ(rx->chip, "PCI-MSIX-0000:00:04.0");
  EXPECT_EQ(rx->hwirq, "1-edge");
  EXPECT_EQ(rx->actions, (std::vector<std::string>{"virtio3-rx"}));
  EXPECT_EQ(rx->per_cpu[0], 1874u);
  EXPECT_EQ(t->find_number(24)->actions, (std::vector<std::string>{"ACPI:Ged"}));
}

TEST(Interrupts, ParsesArmStyleLines) {
  const char* text =
      "           CPU0       CPU1\n"
      " 11:      12345      23456     GICv3  27 Level     arch_timer\n"
      " 47:          0          0     GICv3  78 Edge      eth0-rx-0\n"
      "IPI0:       100        200       Rescheduling interrupts\n";
  auto t = ParseInterrupts(text);
  ASSERT_TRUE(t.ok()) << t.error();
  EXPECT_EQ(t->find_number(11)->chip, "GICv3");
  EXPECT_EQ(t->find_number(11)->hwirq, "27 Level");
  EXPECT_EQ(t->find_number(47)->actions, (std::vector<std::string>{"eth0-rx-0"}));
  EXPECT_EQ(t->lines[2].description, "Rescheduling interrupts");
}

TEST(Interrupts, TruncatedInputIsAnError) {
  auto t = ParseInterrupts(ReadFixture("interrupts_truncated.txt"), "/proc/interrupts");
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.error().find("/proc/interrupts"), std::string::npos);
  EXPECT_NE(t.error().find("IRQ 41"), std::string::npos) << t.error();
  EXPECT_FALSE(ParseInterrupts("").ok());
  EXPECT_FALSE(ParseInterrupts("  CPU0\n no colon here\n").ok());
  EXPECT_FALSE(ParseInterrupts("  CPU0\n NMI: abc\n").ok());
}

TEST(SoftnetStat, ParsesCopyOfThisHost) {
  auto s = ParseSoftnetStat(ReadFixture("softnet_stat_live.txt"));
  ASSERT_TRUE(s.ok()) << s.error();
  ASSERT_EQ(s->cpus.size(), 2u);
  EXPECT_EQ(s->cpus[0].processed, 0x37u);
  EXPECT_EQ(s->cpus[1].processed, 0x14cdu);
  EXPECT_EQ(s->cpus[1].cpu, 1);
  EXPECT_EQ(s->total_dropped(), 0u);
}

TEST(SoftnetStat, ParsesDropsAndSqueezesInHex) {
  auto s = ParseSoftnetStat(ReadFixture("softnet_stat_4cpu.txt"));
  ASSERT_TRUE(s.ok()) << s.error();
  ASSERT_EQ(s->cpus.size(), 4u);
  EXPECT_EQ(s->cpus[0].processed, 0x0a1b2c3du);
  EXPECT_EQ(s->cpus[0].dropped, 16u);
  EXPECT_EQ(s->cpus[0].time_squeeze, 1000u);
  EXPECT_EQ(s->cpus[0].received_rps, 5u);
  EXPECT_EQ(s->cpus[1].backlog_len, 1u);
  // The index column says the third line is CPU 3 (CPU 2 offline).
  EXPECT_EQ(s->cpus[2].cpu, 3);
  EXPECT_EQ(s->total_dropped(), 17u);
  EXPECT_EQ(s->total_time_squeeze(), 1002u);
}

TEST(SoftnetStat, OldKernelWithNineColumnsUsesLineNumber) {
  auto s = ParseSoftnetStat(ReadFixture("softnet_stat_old9.txt"));
  ASSERT_TRUE(s.ok()) << s.error();
  ASSERT_EQ(s->cpus.size(), 2u);
  EXPECT_EQ(s->cpus[1].cpu, 1);
  EXPECT_EQ(s->cpus[1].dropped, 3u);
  EXPECT_FALSE(s->cpus[1].backlog_len.has_value());
}

TEST(SoftnetStat, MalformedInputIsAnError) {
  auto t = ParseSoftnetStat(ReadFixture("softnet_stat_truncated.txt"));
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.error().find("softnet_stat"), std::string::npos);
  auto b = ParseSoftnetStat(ReadFixture("softnet_stat_badhex.txt"));
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.error().find("0000zz10"), std::string::npos) << b.error();
  EXPECT_FALSE(ParseSoftnetStat("").ok());
}

TEST(CounterPairs, NetstatAndSnmpFromThisHost) {
  auto netstat = ParseCounterPairs(ReadFixture("netstat_live.txt"), "/proc/net/netstat");
  auto snmp = ParseCounterPairs(ReadFixture("snmp_live.txt"), "/proc/net/snmp");
  ASSERT_TRUE(netstat.ok()) << netstat.error();
  ASSERT_TRUE(snmp.ok()) << snmp.error();
  EXPECT_EQ(netstat->groups.at("TcpExt").size(), 135u);
  EXPECT_EQ(netstat->get("TcpExt", "TW"), 23);
  EXPECT_EQ(netstat->get("TcpExt", "ListenOverflows"), 0);
  EXPECT_FALSE(netstat->get("TcpExt", "NoSuchCounter").has_value());
  EXPECT_FALSE(netstat->get("NoSuchGroup", "TW").has_value());
  EXPECT_EQ(snmp->get("Tcp", "MaxConn"), -1);
  EXPECT_EQ(snmp->get("Tcp", "InSegs"), 5337);
  const TcpCounters c = TcpCountersOf(*netstat, *snmp);
  EXPECT_EQ(c.listen_overflows, 0);
  EXPECT_EQ(c.listen_drops, 0);
  EXPECT_EQ(c.backlog_drops, 0);
  EXPECT_EQ(c.retrans_segs, 0);
  EXPECT_EQ(c.in_segs, 5337);
}

TEST(CounterPairs, ReadsNamedValues) {
  const char* text =
      "TcpExt: SyncookiesSent ListenOverflows ListenDrops TCPBacklogDrop TCPSynRetrans\n"
      "TcpExt: 1 230 231 17 140\n"
      "Tcp: RtoAlgorithm RetransSegs\n"
      "Tcp: 1 99\n";
  auto t = ParseCounterPairs(text, "test");
  ASSERT_TRUE(t.ok()) << t.error();
  const TcpCounters c = TcpCountersOf(*t, *t);
  EXPECT_EQ(c.listen_overflows, 230);
  EXPECT_EQ(c.listen_drops, 231);
  EXPECT_EQ(c.backlog_drops, 17);
  EXPECT_EQ(c.syn_retrans, 140);
  EXPECT_EQ(c.retrans_segs, 99);
  EXPECT_FALSE(c.busy_poll_rx_packets.has_value());
}

TEST(CounterPairs, TruncatedInputIsAnError) {
  auto t = ParseCounterPairs(ReadFixture("netstat_truncated.txt"), "/proc/net/netstat");
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.error().find("/proc/net/netstat"), std::string::npos);
  auto s = ParseCounterPairs(ReadFixture("netstat_short_values.txt"), "/proc/net/netstat");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().find("truncated"), std::string::npos) << s.error();
  EXPECT_FALSE(ParseCounterPairs("A: x\nB: 1\n", "t").ok());
  EXPECT_FALSE(ParseCounterPairs("A: x\nA: one\n", "t").ok());
  EXPECT_FALSE(ParseCounterPairs("", "t").ok());
}

TEST(Sockstat, ParsesCopyOfThisHostAndABusyHost) {
  auto live = ParseSockstat(ReadFixture("sockstat_live.txt"));
  ASSERT_TRUE(live.ok()) << live.error();
  EXPECT_EQ(live->tcp_tw, 5u);
  EXPECT_EQ(live->tcp_mem_pages, 401u);
  EXPECT_EQ(live->sockets_used, 12u);
  auto busy = ParseSockstat(ReadFixture("sockstat_busy.txt"));
  ASSERT_TRUE(busy.ok()) << busy.error();
  EXPECT_EQ(busy->tcp_inuse, 1203u);
  EXPECT_EQ(busy->tcp_orphan, 17u);
  EXPECT_EQ(busy->tcp_tw, 28731u);
  EXPECT_EQ(busy->tcp_alloc, 1350u);
  EXPECT_EQ(busy->udp_inuse, 4u);
  EXPECT_EQ(busy->all.at("FRAG.memory"), 0u);
}

TEST(Sockstat, TruncatedInputIsAnError) {
  auto t = ParseSockstat(ReadFixture("sockstat_truncated.txt"), "/proc/net/sockstat");
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.error().find("/proc/net/sockstat: line 2"), std::string::npos) << t.error();
  EXPECT_FALSE(ParseSockstat("").ok());
  EXPECT_FALSE(ParseSockstat("TCP: inuse many\n").ok());
}

}  // namespace
}  // namespace tunescope::host

namespace tunescope::host {
namespace {

// Every prefix of every fixture, through every parser: the answer may be a value or an error,
// never a crash (run under ASan/UBSan to make that strict).
TEST(Robustness, EveryTruncationOfEveryFixtureIsHandled) {
  const char* files[] = {"softirqs_live.txt",     "softirqs_4cpu.txt",
                         "interrupts_live.txt",   "interrupts_4cpu_nic.txt",
                         "softnet_stat_4cpu.txt", "netstat_live.txt",
                         "snmp_live.txt",         "sockstat_busy.txt",
                         "nft_ruleset.json",      "iptables_legacy_save.txt",
                         "packet_dhclient.txt",   "tcp_reuseport.txt",
                         "tcp6_single.txt",       "status_seccomp_filter.txt",
                         "cmdline_tuned.txt"};
  std::size_t errors = 0, values = 0;
  for (const char* name : files) {
    const std::string text = testing::ReadFixture(name);
    for (std::size_t n = 0; n <= text.size(); ++n) {
      const std::string_view cut(text.data(), n);
      const auto count = [&](bool ok) { ok ? ++values : ++errors; };
      count(ParseSoftirqs(cut).ok());
      count(ParseInterrupts(cut).ok());
      count(ParseSoftnetStat(cut).ok());
      count(ParseCounterPairs(cut, name).ok());
      count(ParseSockstat(cut).ok());
      count(ParseNftJson(cut).ok());
      count(ParseIptablesSave(cut, "ip").ok());
      count(ParseProcNetPacket(cut).ok());
      count(ParseProcNetTcp(cut, false).ok());
      count(ParseProcNetTcp(cut, true).ok());
      count(ParseSeccompStatus(cut).ok());
      ParseCmdline(cut);
    }
  }
  EXPECT_GT(errors, 0u);
  EXPECT_GT(values, 0u);
}

}  // namespace
}  // namespace tunescope::host
