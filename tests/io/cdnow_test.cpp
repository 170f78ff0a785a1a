// The CDNOW reproduction of Fader, Hardie & Lee (2005) and Fader & Hardie (2013): the numbers
// below are the papers' and those the issue quotes from Hardie's spreadsheets.
#include <catch2/catch.hpp>

#include "csm/bgnbd.hpp"
#include "csm/gamma_gamma.hpp"
#include "csm/io/record_input.hpp"

namespace {

csm::RfmSummary cdnow(csm::TimeUnit unit = csm::TimeUnit::week) {
  csm::Date end;
  REQUIRE(csm::parse_date("1997-09-30", end) == csm::PeriodError::ok);
  csm::io::RecordInput input({CSM_TEST_DATA_DIR "/cdnow/cdnow_transactions.csv"}, {});
  REQUIRE(input.kind() == csm::io::RecordKind::transaction);
  csm::RfmAccumulator acc(end);
  input.read(acc);
  return acc.finish(unit);
}

}  // namespace

TEST_CASE("cdnow: the calibration summary", "[io][cdnow]") {
  const csm::RfmSummary s = cdnow();
  CHECK(s.customers.size() == 2357);
  CHECK(s.customers_with_repeats == 946);
  CHECK(s.repeat_occasions == 2457);
  CHECK(s.excluded_customers == 0);
}

TEST_CASE("cdnow: BG/NBD parameters, log-likelihood and expectations", "[io][cdnow][bgnbd]") {
  const csm::RfmSummary s = cdnow();
  const csm::BgNbdFit f = csm::fit_bgnbd(s.customers, csm::PurchaseModel::bgnbd);
  CHECK(f.converged);
  CHECK(f.params.r == Approx(0.2426).margin(0.00005));
  CHECK(f.params.alpha == Approx(4.4136).margin(0.00005));
  CHECK(f.params.a == Approx(0.7929).margin(0.00005));
  CHECK(f.params.b == Approx(2.4259).margin(0.00005));
  CHECK(f.log_likelihood == Approx(-9582.43).margin(0.005));
  const auto m = csm::PurchaseModel::bgnbd;
  CHECK(csm::bgnbd_conditional_expected_purchases(m, f.params, 39, 2, 30.43, 38.86) ==
        Approx(1.226).margin(0.0005));
  CHECK(csm::bgnbd_expected_purchases(m, f.params, 1) == Approx(0.0532).margin(0.00005));
  CHECK(csm::bgnbd_expected_purchases(m, f.params, 3) == Approx(0.1506).margin(0.00005));
  CHECK(csm::bgnbd_expected_purchases(m, f.params, 32) == Approx(1.0437).margin(0.00005));
  CHECK(csm::bgnbd_expected_purchases(m, f.params, 78) == Approx(1.858).margin(0.0005));
  for (const auto& se : f.standard_errors) CHECK(se.has_value());
}

TEST_CASE("cdnow: the unit changes alpha only", "[io][cdnow][bgnbd]") {
  // alpha is a scale in time: in days it is 7 times the weekly one; r, a, b do not change.
  const csm::BgNbdFit w = csm::fit_bgnbd(cdnow().customers, csm::PurchaseModel::bgnbd);
  const csm::BgNbdFit d = csm::fit_bgnbd(cdnow(csm::TimeUnit::day).customers, csm::PurchaseModel::bgnbd);
  CHECK(d.params.alpha == Approx(7 * w.params.alpha).epsilon(1e-4));
  CHECK(d.params.r == Approx(w.params.r).epsilon(1e-4));
  CHECK(d.params.b == Approx(w.params.b).epsilon(1e-4));
}

TEST_CASE("cdnow: Gamma-Gamma parameters", "[io][cdnow][gamma_gamma]") {
  const csm::GammaGammaFit g = csm::fit_gamma_gamma(cdnow().customers);
  CHECK(g.customers == 946);
  CHECK(g.converged);
  CHECK(g.params.p == Approx(6.25).margin(0.005));
  CHECK(g.params.q == Approx(3.74).margin(0.005));
  CHECK(g.params.gamma == Approx(15.44).margin(0.005));
}
