// The probe catalogue drives everything else a probe needs: for every row, its skeleton is
// built (bpf/<probe>.bpf.c found by glob), --probes accepts its name, --<probe>-mode and the
// row's own flags are in the help of serve, advise and experiment, and --target-port is bounded
// by the port-filtered rows.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <regex>
#include <set>
#include <string>

#include "cli/advise_flags.h"
#include "cli/experiment_flags.h"
#include "cli/serve_flags.h"
#include "probes/catalogue.h"

extern "C" {
#include "reqlat.bpf.h"
#include "xcpu.bpf.h"
}

namespace tunescope::probes {
namespace {

std::set<std::string> HelpFlags(const cli::FlagParser& parser) {
  std::set<std::string> flags;
  const std::string help = parser.Help();
  const std::regex flag(R"((?:^|\n)\s+--([a-z0-9.-]+))");
  for (auto it = std::sregex_iterator(help.begin(), help.end(), flag); it != std::sregex_iterator();
       ++it) {
    flags.insert((*it)[1]);
  }
  return flags;
}

struct CommandHelp {
  std::string command;
  std::set<std::string> flags;
};

std::vector<CommandHelp> AllCommands() {
  std::vector<CommandHelp> out;
  {
    cli::ServeOptions o;
    cli::FlagParser p;
    cli::AddServeFlags(p, o);
    out.push_back({"serve", HelpFlags(p)});
  }
  {
    cli::AdviseOptions o;
    cli::FlagParser p;
    cli::AddAdviseFlags(p, o);
    out.push_back({"advise", HelpFlags(p)});
  }
  {
    cli::ExperimentOptions o;
    cli::FlagParser p;
    cli::AddExperimentFlags(p, o);
    out.push_back({"experiment", HelpFlags(p)});
  }
  return out;
}

TEST(ProbeCatalogue, EveryRowHasItsSkeletonFlagsAndName) {
  const auto commands = AllCommands();
  ASSERT_FALSE(Catalogue().empty());
  for (const CatalogueEntry& row : Catalogue()) {
    const std::string name(row.name);
    EXPECT_TRUE(
        std::filesystem::exists(std::string(TUNESCOPE_BPF_GEN_DIR) + "/" + name + ".skel.h"))
        << name << ": no skeleton built from bpf/" << name << ".bpf.c";

    cli::ServeOptions o;
    cli::FlagParser serve;
    cli::AddServeFlags(serve, o);
    const std::string_view args[] = {"--probes", row.name};
    EXPECT_EQ(serve.Parse(args).kind, cli::ParseOutcome::kRun) << name;
    EXPECT_EQ(o.probes, std::vector<std::string>{name});

    std::set<std::string> own;
    if (row.add_flags != nullptr) {
      cli::FlagParser alone;
      ProbeConfig config;
      row.add_flags(alone, config);
      own = HelpFlags(alone);
      EXPECT_FALSE(own.empty()) << name << ": add_flags added nothing";
    }
    own.insert(name + "-mode");
    for (const CommandHelp& c : commands) {
      for (const std::string& flag : own) {
        EXPECT_TRUE(c.flags.contains(flag)) << c.command << " --help lacks --" << flag;
      }
    }
  }
}

TEST(ProbeCatalogue, TargetPortsBoundedByThePortFilteredRows) {
  size_t fewest = 0;
  for (const CatalogueEntry& row : Catalogue()) {
    if (row.max_target_ports > 0 && (fewest == 0 || row.max_target_ports < fewest))
      fewest = row.max_target_ports;
  }
  ASSERT_GT(fewest, 0u) << "no probe filters by --target-port";
  // The BPF side's array sizes, not the catalogue's copy of them.
  EXPECT_EQ(fewest, std::min<size_t>(TS_XCPU_MAX_PORTS, TS_REQLAT_MAX_PORTS));
  EXPECT_EQ(MaxTargetPorts(), fewest);
  cli::ServeOptions o;
  cli::FlagParser serve;
  cli::AddServeFlags(serve, o);
  std::vector<std::string> ports;
  for (size_t i = 0; i <= fewest; ++i) ports.push_back("--target-port=" + std::to_string(1000 + i));
  std::vector<std::string_view> fit(ports.begin(), ports.end() - 1);
  EXPECT_EQ(serve.Parse(fit).kind, cli::ParseOutcome::kRun);
  cli::ServeOptions o2;
  cli::FlagParser serve2;
  cli::AddServeFlags(serve2, o2);
  std::vector<std::string_view> over(ports.begin(), ports.end());
  EXPECT_NE(serve2.Parse(over).kind, cli::ParseOutcome::kRun);
}

}  // namespace
}  // namespace tunescope::probes
