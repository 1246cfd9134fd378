// serve's GET /advice handler (the app layer's AdviceService): a JSON error before the first
// window, then the published ranking as the advisor's JSON report.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "advice_service.h"
#include "advisor/report.h"
#include "advisor_fixture.h"

namespace tunescope::advisor {
namespace {

using Json = nlohmann::ordered_json;

// GET /advice: a JSON error object before the first window, then the published ranking.
TEST(AdviceHandler, AnswersJsonBeforeAndAfterTheFirstWindow) {
  AdviceService service(MeasureSources{}, nullptr);  // never started: nothing measured
  const auto handler = service.Handler();
  const http::HttpResponse before = handler(http::HttpRequest{"GET", "/advice", "", ""});
  EXPECT_EQ(before.status, 503);
  EXPECT_EQ(before.content_type, "application/json");
  const Json error = Json::parse(before.body);
  EXPECT_FALSE(error.at("error").get<std::string>().empty()) << before.body;

  testing::Fixture f;
  f.Server({0}, 10);
  Advice advice = Advise(f.Build());
  service.board()->Publish(advice);
  const http::HttpResponse after = handler(http::HttpRequest{"GET", "/advice", "", ""});
  EXPECT_EQ(after.status, 200);
  EXPECT_EQ(after.body, JsonReport(advice));
}

}  // namespace
}  // namespace tunescope::advisor
