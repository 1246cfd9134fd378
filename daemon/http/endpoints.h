// The daemon's endpoint handlers: landing page, /metrics, /healthz.
#pragma once

#include <prometheus/collectable.h>

#include <memory>
#include <string>
#include <vector>

#include "http/http_server.h"
#include "probes/probe_set.h"

namespace tunescope::http {

struct EndpointLink {
  std::string path;
  std::string what;
};

HttpHandler MetricsHandler(std::vector<std::shared_ptr<const prometheus::Collectable>> sources);
HttpHandler LandingPageHandler(std::vector<EndpointLink> links);
// 200 while at least one probe runs, 503 otherwise; the body lists each probe's state.
HttpHandler HealthHandler(std::shared_ptr<const probes::ProbeSet> probe_set);

}  // namespace tunescope::http
