#include "advisor/sources.h"

namespace tunescope::advisor::sources {

const Source kTalawah{
    .author = "Marc Richards",
    .title = "Extreme HTTP Performance Tuning: 1.2M API req/s on a 4 vCPU EC2 Instance",
    .publisher = "talawah.io",
    .year = 2021,
    .url = "https://talawah.io/blog/extreme-http-performance-tuning-one-point-two-million/",
    .caveat = "",
    .short_name = "talawah.io 2021",
};
const Source kDropbox{
    .author = "Alexey Ivanov (Dropbox Traffic Team)",
    .title = "Optimizing web servers for high throughput and low latency",
    .publisher = "Dropbox Tech Blog",
    .year = 2017,
    .url =
        "https://blogs.dropbox.com/tech/2017/09/"
        "optimizing-web-servers-for-high-throughput-and-low-latency/",
    .caveat = "",
    .short_name = "Dropbox 2017",
};
const Source kApiGuide{
    .author = "",
    .title = "API latency/throughput tuning guide",
    .publisher = "",
    .year = 0,
    .url = "",
    .caveat = "author unknown; its figures are unsourced",
    .short_name = "API tuning guide, unsourced",
};
const Source kMillionRps{
    .author = "",
    .title = "[untitled \"1 million RPS\" journal of a Go benchmark: net/http, fasthttp, Fiber]",
    .publisher = "",
    .year = 0,
    .url = "",
    .caveat = "author unknown; Mac mini M2 and a 128-vCPU host",
    .short_name = "1M RPS Go journal",
};

}  // namespace tunescope::advisor::sources

namespace tunescope::advisor {

std::string Source::Cite() const {
  std::string out;
  auto add = [&out](std::string_view part) {
    if (part.empty()) return;
    if (!out.empty()) out += ", ";
    out += part;
  };
  add(author);
  add(title.starts_with('[') ? std::string(title) : "\"" + std::string(title) + "\"");
  add(publisher);
  if (year != 0) add(std::to_string(year));
  add(url.empty() ? "no URL known" : url);
  if (!caveat.empty()) out += " (" + std::string(caveat) + ")";
  return out;
}

}  // namespace tunescope::advisor
