// Rules about the host as a whole: CPU placement, frequency, mitigations, limits.

#include "advisor/rule_support.h"
#include "advisor/rules.h"

namespace tunescope::advisor {

using namespace rule_support;  // NOLINT(google-build-using-namespace): the rules' vocabulary

Prediction RuleAppCode(const Tuning& t, const Evidence&) {
  return NotMeasured(t,
                     "application code (compiler flags, recv/send instead of read/write, thread "
                     "overhead) is outside the kernel paths tunescope traces; profile the server");
}

Prediction RuleMitigations(const Tuning& t, const Evidence& e) {
  const auto& h = e.host();
  if (h.cmdline.ok() && h.cmdline->mitigations_off()) {
    return Applied(t, "the kernel was booted with mitigations=off");
  }
  if (!h.vulnerabilities.ok()) return NotMeasured(t, h.vulnerabilities.error());
  std::vector<std::string> mitigated;
  for (const auto& v : h.vulnerabilities->items) {
    if (v.state == host::VulnState::kMitigated) mitigated.push_back(v.name);
  }
  if (mitigated.empty()) {
    return NotApplicable(t, "no speculative-execution mitigation is active on this CPU");
  }
  Prediction p =
      Documented(t, std::to_string(mitigated.size()) + " mitigations active (" + Names(mitigated) +
                        "); their cost is spread over every kernel entry and is not "
                        "separable by tracing");
  p.numbers.push_back({"mitigations_active", static_cast<double>(mitigated.size()), "count"});
  return p;
}

Prediction RuleAuditSeccomp(const Tuning& t, const Evidence& e) {
  const auto& h = e.host();
  std::optional<bool> audit;
  if (h.audit.ok()) audit = h.audit->likely_active();
  // Without CAP_AUDIT_CONTROL the kernel cannot be asked; say so rather than guess.
  const std::string audit_unknown =
      !h.audit.ok()          ? h.audit.error()
      : h.audit->kernel.ok() ? std::string("no answer")
                             : "the kernel could not be asked: " + h.audit->kernel.error();
  std::optional<bool> seccomp;
  if (h.target_seccomp.ok()) seccomp = h.target_seccomp->mode == host::SeccompMode::kFilter;
  if (!audit && !seccomp) {
    return NotMeasured(t, "audit state (" + audit_unknown + ") and seccomp (" +
                              h.target_seccomp.error() + ") unknown");
  }
  if (!audit.value_or(false) && !seccomp.value_or(false)) {
    std::string why = (audit ? std::string("syscall auditing is off")
                             : "audit state unknown (" + audit_unknown + ")") +
                      ", " +
                      (seccomp ? "the target runs without seccomp filters"
                               : "seccomp unknown (" + h.target_seccomp.error() + ")");
    return audit && seccomp ? Applied(t, why) : NotMeasured(t, why);
  }
  std::string what;
  if (audit.value_or(false)) what = "syscall auditing is active";
  if (seccomp.value_or(false)) {
    what += std::string(what.empty() ? "" : " and ") + "the target runs under seccomp filters";
  }
  Prediction p = Documented(t, what);
  if (h.audit.ok() && h.audit->kernel.ok() && h.audit->kernel->rule_count) {
    p.numbers.push_back(
        {"audit_rules", static_cast<double>(*h.audit->kernel->rule_count), "count"});
  }
  return p;
}

Prediction RuleCpuIsolation(const Tuning& t, const Evidence& e) {
  const CpuTimes& c = e.cpu();
  if (!c.target_cpu_seconds) return NotMeasured(t, c.target_reason);
  if (!c.target_run_seconds || !c.target_wait_seconds) {
    return NotMeasured(t,
                       "no scheduler accounting of the target's threads (schedstat needs "
                       "CONFIG_SCHED_INFO)");
  }
  // The kernel's own accounting: every nanosecond the threads were runnable but not running.
  double run = *c.target_run_seconds, wait = *c.target_wait_seconds;
  std::vector<Number> numbers{{"target_run_seconds", run, "s"},
                              {"target_runqueue_wait_seconds", wait, "s"},
                              {"target_timeslices", c.target_timeslices, "count"}};
  if (auto h = e.Histogram(kTargetRunqueue); h && h->count > 0) {
    if (auto p99 = h->QuantileUpperBound(0.99)) {
      numbers.push_back({"target_runqueue_p99_seconds", *p99, "s"});
    }
  }
  if (run + wait <= 0) return NotMeasured(t, "the target's threads did not run in the window");
  auto server = e.ServerCpuSeconds();
  std::string waited = "the server's threads waited " + Seconds(wait) +
                       " for their CPUs while running " + Seconds(run);
  // Only the waits behind other tasks go away on CPUs of its own; the rest is the wake-up of
  // an idle CPU (a halted vCPU woken by an IPI, a deep C-state), which isolation keeps.
  if (c.others_run_seconds) {
    numbers.push_back({"others_run_seconds", *c.others_run_seconds, "s"});
    if (*c.others_run_seconds < wait) {
      waited += ", while other tasks ran " + Seconds(*c.others_run_seconds) +
                " there (the rest is an idle CPU's wake-up)";
      wait = *c.others_run_seconds;
    }
  }
  double share = wait / (run + wait);
  if (share < kMinShare) {
    Prediction p = NotApplicable(t, waited + " (" + Pct(share) + " of their runnable time)");
    p.numbers = std::move(numbers);
    return p;
  }
  Prediction p = Make(t, Verdict::kMeasured, "");
  p.numbers = std::move(numbers);
  p.confidence = c.target_timeslices >= kMinSamples ? "high" : "low";
  if (server && server->saturated()) {
    // A CPU-bound server that waits w for every r it runs does r / (r + w) of the work it
    // could: its CPUs to itself, it gains w / r.
    p.removed_share = share;
    p.payoff_ratio = ThroughputPayoff(share);
    p.reason = waited + " (" + Pct(share) + " of their runnable time, schedstat) on CPUs busy " +
               Pct(server->busy_share()) + " of the window, predicted +" + Pct(*p.payoff_ratio) +
               " req/s once those CPUs are the server's own";
    return p;
  }
  // With idle time on its CPUs the waits are latency: each wakeup waits for its turn.
  double per_slice = c.target_timeslices > 0 ? wait / c.target_timeslices : 0;
  p.latency_removed_seconds = per_slice;
  p.latency_per = "timeslice";
  p.reason = waited + "; its CPUs were not saturated, so each of its " +
             Count(c.target_timeslices) + " timeslices waited " + Seconds(per_slice) +
             " on average: latency the tuning removes";
  return p;
}

Prediction RuleGovernor(const Tuning& t, const Evidence& e) {
  const auto& f = e.host().cpufreq;
  if (!f.ok()) return NotApplicable(t, f.error());
  if (f->all("performance")) return Applied(t, "every CPU runs the performance governor");
  return Documented(t, "governors: " + Names(f->governors()));
}

Prediction RuleNuma(const Tuning& t, const Evidence& e) {
  if (!e.cpu().numa_nodes) return NotMeasured(t, "NUMA topology unreadable");
  if (*e.cpu().numa_nodes <= 1) return NotApplicable(t, "one NUMA node");
  Prediction p = Documented(t, std::to_string(*e.cpu().numa_nodes) + " NUMA nodes");
  p.numbers.push_back({"numa_nodes", static_cast<double>(*e.cpu().numa_nodes), "count"});
  return p;
}

Prediction RuleFileMax(const Tuning& t, const Evidence& e) {
  auto max = SysctlInt(e, "fs.file-max");
  if (max && *max >= 2097152) return Applied(t, "fs.file-max=" + std::to_string(*max));
  return NotMeasured(t,
                     "running out of file descriptors shows as EMFILE/ENFILE in the server, "
                     "which no probe sees; fs.file-max=" +
                         (max ? std::to_string(*max) : std::string("unknown")));
}

}  // namespace tunescope::advisor
