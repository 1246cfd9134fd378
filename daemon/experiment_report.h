// Renders `tunescope experiment`'s result: the prediction made with the probes attached, the
// rounds measured without them, and predicted beside realized, as text or JSON.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "advisor/catalogue.h"
#include "experiment_rounds.h"
#include "experiment_settings.h"

namespace tunescope::experiment {

struct Report {
  const advisor::Tuning* tuning = nullptr;
  std::vector<Setting> settings;
  double prediction_seconds = 0;
  std::optional<advisor::Prediction> prediction;  // none when the advisor had no entry
  std::vector<std::string> probes_up, probes_down;
  // The load and the server's CPUs during the prediction, probes attached: beside the A
  // rounds, what the probes cost.
  RoundMeasure while_predicting;
  double round_seconds = 0;
  std::vector<int> server_cpus;
  std::string server_cpus_basis;    // why these CPUs
  std::string rate_unit = "req/s";  // "runs/s" when the load's run time was the measure
  std::vector<RoundMeasure> rounds;
  Realized realized;
  std::string outcome;  // "reverted", "kept"
};

// The predicted removed CPU share (from a throughput payoff), when there is one.
std::optional<double> PredictedShare(const advisor::Prediction& p);

std::string TextReport(const Report& r);
std::string JsonReport(const Report& r);

}  // namespace tunescope::experiment
