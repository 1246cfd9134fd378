#include "http/endpoints.h"

#include <prometheus/text_serializer.h>

#include <sstream>

namespace tunescope::http {

HttpHandler MetricsHandler(std::vector<std::shared_ptr<const prometheus::Collectable>> sources) {
  return [sources = std::move(sources)](const HttpRequest&) {
    std::vector<prometheus::MetricFamily> families;
    for (const auto& source : sources) {
      for (auto& family : source->Collect()) families.push_back(std::move(family));
    }
    std::ostringstream out;
    prometheus::TextSerializer().Serialize(out, families);
    return HttpResponse{200, "text/plain; version=0.0.4; charset=utf-8", out.str(), {}};
  };
}

HttpHandler LandingPageHandler(std::vector<EndpointLink> links) {
  std::string page =
      "<!DOCTYPE html>\n<html><head><title>tunescope</title></head><body>\n"
      "<h1>tunescope</h1>\n<p>Kernel network-path measurements and ranked tunings for API "
      "servers.</p>\n<ul>\n";
  for (const EndpointLink& l : links) {
    page += "<li><a href=\"" + l.path + "\">" + l.path + "</a>: " + l.what + "</li>\n";
  }
  page += "</ul>\n</body></html>\n";
  return [page = std::move(page)](const HttpRequest&) {
    return HttpResponse{200, "text/html; charset=utf-8", page, {}};
  };
}

HttpHandler HealthHandler(std::shared_ptr<const probes::ProbeSet> probe_set) {
  return [probe_set = std::move(probe_set)](const HttpRequest&) {
    std::string body;
    bool any_up = false;
    for (const probes::ProbeStatus& s : probe_set->Statuses()) {
      any_up |= s.up;
      body += s.name + ": " + (s.up ? "up (" + s.mode + ")" : "down: " + s.error) + "\n";
    }
    return HttpResponse{any_up ? 200 : 503,
                        "text/plain; charset=utf-8",
                        (any_up ? "ok\n" : "no probe is running\n") + body,
                        {}};
  };
}

}  // namespace tunescope::http
