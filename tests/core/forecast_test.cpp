// The expectations of BG/NBD and MBG/NBD where double precision is hard (against mpmath), and
// the per-customer forecasts of csm/forecast.hpp against direct sums and hand-worked numbers.
#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "csm/bgnbd.hpp"
#include "csm/error.hpp"
#include "csm/forecast.hpp"

namespace {

csm::RfmCustomer customer(std::uint32_t x, double t_x, double T, std::optional<double> m,
                          std::int32_t first = 0) {
  csm::RfmCustomer c;
  c.x = x;
  c.t_x = t_x;
  c.T = T;
  c.monetary = m;
  c.first = csm::Date{first};
  return c;
}

}  // namespace

TEST_CASE("bgnbd: E[Y(t) | alive] against mpmath at 60 digits", "[core][bgnbd][forecast]") {
  // tests/predictive/make_expectations_table.py: a and b up to 1e10 (the fits of the audit's
  // crash files), a within 1e-9 of 1, r > a + b - 1, x up to 2000, z = 0.99998.
  std::ifstream in(CSM_TEST_DATA_DIR "/predictive/expectations_mpmath.csv");
  REQUIRE(in);
  std::string line;
  std::getline(in, line);
  int rows = 0;
  while (std::getline(in, line)) {
    std::stringstream fields(line);
    std::string model, cell;
    std::getline(fields, model, ',');
    std::vector<double> v;
    while (std::getline(fields, cell, ',')) v.push_back(std::stod(cell));
    REQUIRE(v.size() == 8);
    const csm::BgNbdParams p{v[0], v[1], v[2], v[3]};
    const auto m = model == "mbgnbd" ? csm::PurchaseModel::mbgnbd : csm::PurchaseModel::bgnbd;
    INFO(line);
    const double got = csm::bgnbd_expected_purchases_if_alive(m, p, v[4], v[5], v[6]);
    // The parameters are exact in the table, so the only error is csm-metrics' own: 1e-9
    // relative leaves room for the digits lost to 1 - P when a is close to 1.
    CHECK(got == Approx(v[7]).epsilon(1e-9));
    ++rows;
  }
  CHECK(rows == 29);
}

TEST_CASE("forecast: value at risk and clv by hand", "[core][forecast]") {
  // r = 1, alpha = 1, a = 2, b = 1: Euler's form of 2F1 is 2F1(a+b-1-r, a-1; a+b+x-1; z)
  // = 2F1(1, 1; 2 + x; z), elementary for x = 1: 2F1(1, 1; 3; z) = 2 (z + (1-z) ln(1-z)) / z^2.
  // Customer x = 1, t_x = 1, T = 2, horizon t = 3: z = t / (alpha + T + t) = 3/6 = 0.5;
  //   2F1 = 2 (0.5 + 0.5 ln 0.5) / 0.25 = 4 + 4 ln 0.5 = 1.2274112777602189;
  //   E[Y | alive] = (a+b+x-1)/(a-1) (1 - (1-z)^(a-1) 2F1) = 3 (1 - 0.5 * 1.2274112777602189)
  //                = 1.1588830833596716;
  //   P(alive) = 1 / (1 + a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x)) = 1 / (1 + 2 * (3/2)^2)
  //            = 1 / 5.5 = 0.18181818...
  // Gamma-Gamma p = 2, q = 3, gamma = 10, monetary 20: spend = p (gamma + x m) / (p x + q - 1)
  //   = 2 * 30 / 4 = 15. Margin 0.5, no discounting:
  //   clv = 0.5 * 15 * 1.1588830833596716 / 5.5 = 1.5802951136722795
  //   value_at_risk = 0.5 * 15 * 1.1588830833596716 * (1 - 1/5.5) = 7.1113280115252575
  const csm::BgNbdParams p{1, 1, 2, 1};
  const csm::GammaGammaParams g{2, 3, 10};
  const std::vector<csm::RfmCustomer> cs = {customer(1, 1, 2, 20.0)};
  csm::ForecastOptions o;
  o.horizon = 3;
  o.margin = 0.5;
  o.holdout_length = 3;
  const auto f = csm::forecast_customers(csm::PurchaseModel::bgnbd, p, g, cs, o);
  REQUIRE(f.size() == 1);
  CHECK(f[0].p_alive == Approx(1 / 5.5).epsilon(1e-14));
  CHECK(f[0].expected_purchases == Approx(1.1588830833596716 / 5.5).epsilon(1e-12));
  CHECK(*f[0].expected_spend == Approx(15).epsilon(1e-14));
  CHECK(*f[0].clv == Approx(1.5802951136722795).epsilon(1e-12));
  CHECK(*f[0].value_at_risk == Approx(7.1113280115252575).epsilon(1e-12));
  CHECK(*f[0].holdout_predicted == Approx(1.1588830833596716 / 5.5).epsilon(1e-12));
  // BG/NBD, x = 0: p_alive = 1, so nothing is at risk.
  const std::vector<csm::RfmCustomer> zero = {customer(0, 0, 2, {})};
  const auto z = csm::forecast_customers(csm::PurchaseModel::bgnbd, p, g, zero, o);
  CHECK(z[0].p_alive == 1);
  CHECK(*z[0].value_at_risk == 0);
  // q <= 1: no population mean spend, so no clv for x = 0.
  const auto heavy = csm::forecast_customers(csm::PurchaseModel::bgnbd, p, {2, 0.9, 10}, zero, o);
  CHECK_FALSE(heavy[0].expected_spend);
  CHECK_FALSE(heavy[0].clv);
  CHECK_FALSE(heavy[0].value_at_risk);
}

TEST_CASE("forecast: discounted clv equals the direct step-by-step sum", "[core][forecast]") {
  // The discounted sum of the purchases of each step, computed here directly from
  // bgnbd_conditional_expected_purchases at every step, against forecast_customers, which
  // interpolates E[Y(t)] in log-time when there are many steps (3650 daily steps here) and
  // shares it between customers with the same (x, T).
  const csm::BgNbdParams p{0.2426, 30.895, 0.7929, 2.4259};
  const csm::GammaGammaParams g{6.25, 3.74, 15.44};
  std::vector<csm::RfmCustomer> cs = {customer(0, 0, 270, {}), customer(2, 200, 270, 22.3),
                                      customer(2, 100, 270, 50), customer(25, 260, 271, 40),
                                      customer(1, 3, 5, 10)};
  for (const auto model : {csm::PurchaseModel::bgnbd, csm::PurchaseModel::mbgnbd}) {
    for (const double horizon : {10.0, 365.25, 3650.0}) {
      csm::ForecastOptions o;
      o.horizon = horizon;
      o.discount_rate = 0.0003;
      o.margin = 0.3;
      const auto f = csm::forecast_customers(model, p, g, cs, o);
      for (std::size_t i = 0; i < cs.size(); ++i) {
        const csm::RfmCustomer& c = cs[i];
        double total = 0, before = 0;
        const auto steps = static_cast<int>(std::ceil(horizon));
        for (int k = 1; k <= steps; ++k) {
          const double t = std::min<double>(k, horizon);
          const double now = csm::bgnbd_conditional_expected_purchases(model, p, t, c.x, c.t_x, c.T);
          total += (now - before) / std::pow(1.0003, t);
          before = now;
        }
        const double spend = *csm::gamma_gamma_expected_spend(g, c.x, c.monetary.value_or(0));
        INFO("model " << static_cast<int>(model) << " horizon " << horizon << " customer " << i);
        CHECK(*f[i].clv == Approx(0.3 * spend * total).epsilon(1e-10));
        CHECK(f[i].expected_purchases ==
              Approx(csm::bgnbd_conditional_expected_purchases(model, p, horizon, c.x, c.t_x, c.T))
                  .epsilon(1e-13));
      }
    }
  }
}

TEST_CASE("forecast: totals and the tracking series", "[core][forecast]") {
  const csm::BgNbdParams p{0.5, 3.0, 0.8, 2.5};
  std::vector<csm::RfmCustomer> cs;
  for (std::uint32_t i = 0; i < 300; ++i) {
    cs.push_back(customer(i % 7, (i % 7) * 2.0, 20 + (i % 5), 10, static_cast<std::int32_t>(i % 5)));
  }
  std::vector<double> times;
  for (int k = 1; k <= 100; ++k) times.push_back(k * 0.5);
  const auto one = csm::total_expected_purchases(csm::PurchaseModel::bgnbd, p, cs, times, 1);
  const auto two = csm::total_expected_purchases(csm::PurchaseModel::bgnbd, p, cs, times, 2);
  CHECK(one == two);  // bit for bit
  for (std::size_t j = 0; j < times.size(); j += 9) {
    double direct = 0;
    for (const auto& c : cs) {
      direct += csm::bgnbd_conditional_expected_purchases(csm::PurchaseModel::bgnbd, p, times[j],
                                                          c.x, c.t_x, c.T);
    }
    CHECK(one[j] == Approx(direct).epsilon(1e-11));
  }
  // Tracking: on day d, each customer contributes E[X((d - first) / 7)] (unit week), 0 on or
  // before the first purchase day.
  const std::vector<std::int32_t> days = {0, 1, 4, 30, 300};
  const auto track =
      csm::expected_repeat_purchases_by_day(csm::PurchaseModel::bgnbd, p, cs, csm::TimeUnit::week, days);
  for (std::size_t j = 0; j < days.size(); ++j) {
    double direct = 0;
    for (const auto& c : cs) {
      if (c.first.days < days[j]) {
        direct += csm::bgnbd_expected_purchases(csm::PurchaseModel::bgnbd, p,
                                                (days[j] - c.first.days) / 7.0);
      }
    }
    CHECK(track[j] == Approx(direct).epsilon(1e-12).margin(1e-300));
  }
  CHECK(track[0] == 0);
}

TEST_CASE("bgnbd: expectations never NaN, never an internal error", "[core][bgnbd][forecast]") {
  // Far-off parameters: a finite number, or InputError (exit 65) -- never NaN, never anything
  // else.
  const std::vector<csm::BgNbdParams> params = {
      {5.5e8, 3.2e8, 2.0e6, 2.0e6}, {1e-9, 1e-9, 1e-9, 1e-9}, {1e9, 1.0, 1e9, 1e-9},
      {0.2, 1e-8, 0.5, 1e8},       {1e3, 1e3, 1e-3, 1e3},    {2.0, 1.0, 1e12, 1e14}};
  for (const auto& p : params) {
    for (const double x : {0.0, 1.0, 50.0}) {
      for (const double t : {1.0, 52.0, 1e4}) {
        try {
          const double e = csm::bgnbd_expected_purchases_if_alive(csm::PurchaseModel::bgnbd, p, t, x, 30);
          CHECK(std::isfinite(e));
          CHECK(e >= 0);
        } catch (const csm::InputError& e) {
          CHECK(std::string(e.what()).find("cannot be computed") != std::string::npos);
        }
      }
    }
  }
}
