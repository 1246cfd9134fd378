// The aggregate: on the fixture tree every field is filled or carries a plain reason; on the
// live host the main fields are filled.
#include <gtest/gtest.h>
#include <unistd.h>

#include "fixtures.h"
#include "host/host_facts.h"

namespace tunescope::host {
namespace {

class NoCommands : public CommandRunner {
 public:
  Result<CommandOutput> run(const std::vector<std::string>& argv) override {
    return Result<CommandOutput>::Error(argv[0] + ": not installed");
  }
};

TEST(HostFacts, FixtureTreeWithReasonsForWhatIsMissing) {
  HostOptions opt;
  opt.target_pid = 4242;
  opt.target_port = 8080;
  opt.query_kernel = false;
  NoCommands runner;
  const HostFacts f = CollectHostFacts(testing::TreePaths("tree4"), opt, &runner);
  ASSERT_TRUE(f.softirqs.ok()) << f.softirqs.error();
  EXPECT_EQ(f.softirqs->cpus.size(), 4u);
  ASSERT_TRUE(f.interrupts.ok()) << f.interrupts.error();
  ASSERT_TRUE(f.softnet.ok());
  EXPECT_EQ(f.softnet->total_dropped(), 17u);
  EXPECT_EQ(f.tcp.listen_overflows, 0);
  ASSERT_TRUE(f.sockstat.ok());
  EXPECT_EQ(f.sockstat->tcp_tw, 28731u);
  EXPECT_EQ(f.sysctls.get_int("net.core.somaxconn"), 4096);
  ASSERT_TRUE(f.cmdline.ok());
  EXPECT_TRUE(f.cmdline->mitigations_off());
  ASSERT_TRUE(f.audit.ok());
  EXPECT_EQ(f.audit->auditd_pids, std::vector<int>{640});
  EXPECT_FALSE(f.audit->kernel.ok());
  ASSERT_TRUE(f.target_seccomp.ok()) << f.target_seccomp.error();
  EXPECT_EQ(f.target_seccomp->mode, SeccompMode::kFilter);
  ASSERT_TRUE(f.irqbalance_pids.ok());
  EXPECT_EQ(*f.irqbalance_pids, std::vector<int>{612});
  ASSERT_TRUE(f.netfilter.ok());
  EXPECT_FALSE(f.netfilter->nft.ok());
  ASSERT_TRUE(f.cpufreq.ok());
  ASSERT_TRUE(f.packet_sockets.ok()) << f.packet_sockets.error();
  EXPECT_EQ(f.packet_sockets->size(), 2u);
  ASSERT_TRUE(f.target_listeners.ok());
  EXPECT_TRUE(f.target_listeners->reuseport());
  ASSERT_TRUE(f.devices.ok()) << f.devices.error();
  ASSERT_EQ(f.devices->size(), 2u);
  const DeviceFacts& eth0 = (*f.devices)[0];
  ASSERT_TRUE(eth0.irqs.ok());
  EXPECT_EQ(eth0.irqs->queue_irqs(), 4);
  EXPECT_FALSE(eth0.root_qdisc.ok());
  EXPECT_NE(eth0.root_qdisc.error().find("disabled"), std::string::npos);
}

TEST(HostFacts, NoTargetGivenIsSaidPlainly) {
  HostOptions opt;
  opt.query_kernel = false;
  opt.query_netfilter = false;
  const HostFacts f = CollectHostFacts(testing::TreePaths("tree_vm"), opt);
  EXPECT_EQ(f.target_seccomp.error(), "no target pid given");
  EXPECT_EQ(f.target_listeners.error(), "no target port given");
  EXPECT_FALSE(f.softirqs.ok());
  EXPECT_NE(f.softirqs.error().find("softirqs"), std::string::npos);
  EXPECT_NE(f.cpufreq.error().find("no cpufreq"), std::string::npos);
  EXPECT_FALSE(f.devices.ok());
}

TEST(HostFacts, LiveHost) {
  HostOptions opt;
  opt.target_pid = static_cast<int>(::getpid());
  opt.target_port = 1;  // nothing listens there
  const HostFacts f = CollectHostFacts(HostPaths{}, opt);
  EXPECT_TRUE(f.softirqs.ok()) << f.softirqs.error();
  EXPECT_TRUE(f.interrupts.ok()) << f.interrupts.error();
  EXPECT_TRUE(f.softnet.ok()) << f.softnet.error();
  EXPECT_TRUE(f.sockstat.ok()) << f.sockstat.error();
  EXPECT_TRUE(f.tcp.retrans_segs.has_value());
  EXPECT_TRUE(f.target_seccomp.ok()) << f.target_seccomp.error();
  ASSERT_TRUE(f.target_listeners.ok()) << f.target_listeners.error();
  EXPECT_TRUE(f.target_listeners->listeners.empty());
  EXPECT_TRUE(f.netfilter.ok());
  EXPECT_GT(f.cpus_configured, 0);
  ASSERT_TRUE(f.devices.ok()) << f.devices.error();
  bool lo = false;
  for (const auto& d : *f.devices) {
    if (d.device.name != "lo") continue;
    lo = true;
    ASSERT_TRUE(d.root_qdisc.ok()) << d.root_qdisc.error();
    EXPECT_EQ(d.root_qdisc->kind, "noqueue");
    ASSERT_TRUE(d.ethtool.ok());
    EXPECT_TRUE(d.ethtool->offloads.ok()) << d.ethtool->offloads.error();
  }
  EXPECT_TRUE(lo);
}

}  // namespace
}  // namespace tunescope::host
