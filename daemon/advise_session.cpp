#include "advise_session.h"

#include "probes/catalogue.h"
#include "runtime.h"

namespace tunescope::advisor {

std::shared_ptr<probes::ProbeSet> StartProbes(const cli::ProbeOptions& options,
                                              std::string& warning) {
  auto set = std::make_shared<probes::ProbeSet>();
  if (Status s = CheckKernelBtf(options); !s.ok()) {
    warning = s.error() + "; advising from host facts only";
    return set;
  }
  // A one-shot session may spend more than the daemon: every probe, costly modes included,
  // unless the user chose the probes.
  cli::ProbeOptions session = options;
  if (session.probes.empty()) {
    for (const auto& entry : probes::Catalogue()) session.probes.emplace_back(entry.name);
  }
  session.probe_config.softirq_raise_delay = true;
  session.probe_config.softirq_sample = 1;  // exact time for the minutes a session lasts
  set = cli::MakeProbeSet(session, probes::AttachWindow{});  // attached for the whole session
  // The programs' own time is taken out of the server's CPU basis (BPF stats, this session only).
  if (Status s = set->EnableProgramStats(); !s.ok()) {
    warning = s.error() + "; tunescope's own program time stays in the server's CPU time";
  }
  set->StartAll(session.probe_config);
  return set;
}

MeasureSources SourcesFor(const cli::ProbeOptions& options,
                          std::shared_ptr<const probes::ProbeSet> probe_set) {
  MeasureSources sources;
  sources.collect = [probe_set] { return probe_set->Collect(); };
  for (pid_t pid : options.probe_config.target_pids) sources.target_pids.push_back(pid);
  sources.target_comms = options.probe_config.target_comms;
  if (!options.probe_config.target_ports.empty()) {
    sources.target_port = options.probe_config.target_ports.front();
  }
  return sources;
}

void NoteProbes(Advice& advice, const probes::ProbeSet& probe_set) {
  for (const probes::ProbeStatus& s : probe_set.Statuses()) {
    if (s.up) {
      advice.probes_up.push_back(s.name + " (" + s.mode + ")");
    } else {
      advice.probes_down.push_back(s.name + ": " + s.error);
    }
  }
}

}  // namespace tunescope::advisor
