// forecast's MRR intervals carry the expansion rate's variation (issue 19): the month-to-month
// sd of the recent log-growth, worked out by hand, and wider MRR intervals when it is not 0.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <vector>

#include "csm/mrr_forecast.hpp"

namespace {

// 24 monthly cohorts of 100 customers, survival of an sBG(1, 3) (S(t) = prod (3+i)/(4+i)), MRR
// per customer 10 times the product of the calendar months' growth factors since joining.
std::vector<csm::ForecastCohort> cohorts(const std::vector<double>& factor) {
  std::vector<csm::ForecastCohort> out;
  for (int c = 0; c < 24; ++c) {
    csm::ForecastCohort k;
    k.name = std::to_string(c);
    double survival = 1, per_customer = 10;
    for (int a = 0; c + a < 24; ++a) {
      if (a > 0) {
        survival *= (3.0 + a - 1) / (4.0 + a - 1);
        per_customer *= factor[static_cast<std::size_t>(c + a)];
      }
      const double active = std::round(100 * survival);
      k.active.push_back(active);
      k.revenue.push_back(active * per_customer);
    }
    out.push_back(k);
  }
  return out;
}

}  // namespace

TEST_CASE("forecast_mrr: the expansion rate's sd and its effect on the MRR intervals",
          "[core][mrr_forecast]") {
  csm::MrrForecastOptions o;
  o.months = 6;
  o.recent_months = 3;
  o.new_per_month = 100;  // known: the intervals' width is then retention and growth only
  std::vector<double> steady(24, 1.02);
  const csm::MrrForecast a = csm::forecast_mrr(cohorts(steady), o);
  CHECK(a.net_expansion_rate == Approx(0.02).epsilon(1e-12));
  CHECK(a.expansion_sd < 1e-12);  // the same growth every month (up to round-off)
  // The last three calendar months grow by 1.00, 1.06, 1.02: the log-growths 0, ln 1.06 and
  // ln 1.02 have mean 0.026024 and sample sd 0.029628 (by hand: deviations -0.026024, 0.032245,
  // -0.006221; squares 6.7724e-4, 1.03975e-3, 3.870e-5; sum / 2 = 8.7784e-4).
  std::vector<double> varying(24, 1.03);
  varying[21] = 1.00;
  varying[22] = 1.06;
  varying[23] = 1.02;
  const csm::MrrForecast b = csm::forecast_mrr(cohorts(varying), o);
  const double l0 = 0, l1 = std::log(1.06), l2 = std::log(1.02), mean = (l0 + l1 + l2) / 3;
  const double sd = std::sqrt(((l0 - mean) * (l0 - mean) + (l1 - mean) * (l1 - mean) + (l2 - mean) * (l2 - mean)) / 2);
  CHECK(sd == Approx(0.029628).epsilon(1e-4));
  CHECK(b.expansion_sd == Approx(sd).epsilon(1e-9));
  CHECK(b.net_expansion_rate == Approx(std::expm1(mean)).epsilon(1e-9));
  // Relative width of month 6's MRR interval: retention noise only, against retention noise and
  // a 2.9 % monthly sd of the growth (about sqrt(6) * 2.9 % = 7 % on the log scale at month 6).
  const auto width = [](const csm::MrrForecast& f) {
    const csm::ForecastMonth& m = f.months.back();
    return (m.mrr_high - m.mrr_low) / m.mrr;
  };
  CHECK(width(b) > 2 * width(a));
  CHECK(width(b) > 0.1);
  // The point forecast does not depend on the sd.
  for (const csm::ForecastMonth& m : b.months) CHECK((m.mrr_low < m.mrr && m.mrr < m.mrr_high));
}

namespace {

// Monthly cohorts of 1000 customers joining every calendar month 0..months-1, survival of an
// sBG(1, 3) (expected counts, rounded), and an MRR per customer whose monthly log-growth is
// x_t = mu_t + e_t: mu_t a random walk (the pace of growth changes, sd 0.006 a month) and e_t
// noise (sd 0.004), both known; every customer of a cohort joins at MRR 10.
std::vector<csm::ForecastCohort> changing_pace(std::size_t months, std::mt19937_64& rng) {
  std::normal_distribution<double> z(0.0, 1.0);
  std::vector<double> factor(months, 1.0);
  double mu = 0.01;
  for (std::size_t t = 1; t < months; ++t) {
    mu += 0.006 * z(rng);
    factor[t] = std::exp(mu + 0.004 * z(rng));
  }
  std::vector<csm::ForecastCohort> out;
  for (std::size_t c = 0; c < months; ++c) {
    csm::ForecastCohort k;
    k.name = std::to_string(c);
    double survival = 1, per_customer = 10;
    for (std::size_t a = 0; c + a < months; ++a) {
      if (a > 0) {
        survival *= (3.0 + static_cast<double>(a) - 1) / (4.0 + static_cast<double>(a) - 1);
        per_customer *= factor[c + a];
      }
      const double active = std::round(1000 * survival);
      k.active.push_back(active);
      k.revenue.push_back(active * per_customer);
    }
    out.push_back(k);
  }
  return out;
}

// Share of the backtest months (6 ahead, over `windows` simulated histories of 24 months) whose
// actual MRR falls inside the forecast's 80 % interval.
double mrr_coverage(std::size_t error_window, unsigned windows) {
  std::mt19937_64 rng(2026);
  std::size_t inside = 0, total = 0;
  for (unsigned w = 0; w < windows; ++w) {
    const std::vector<csm::ForecastCohort> all = changing_pace(30, rng);
    const csm::BacktestSplit split = csm::split_for_backtest(all, 6);
    csm::MrrForecastOptions o;
    o.months = 6;
    o.simulations = 200;
    o.seed = w + 1;
    o.error_window = error_window;
    o.new_per_month = 1000;  // the arrivals are known: the test is about the growth
    const csm::MrrForecast f = csm::forecast_mrr(split.before, o);
    for (std::size_t h = 0; h < 6; ++h) {
      inside += split.actual_mrr[h] >= f.months[h].mrr_low && split.actual_mrr[h] <= f.months[h].mrr_high ? 1U : 0U;
      ++total;
    }
  }
  return static_cast<double>(inside) / static_cast<double>(total);
}

}  // namespace

TEST_CASE("forecast_mrr: MRR intervals cover about 80 % when the pace of growth changes",
          "[core][mrr_forecast]") {
  // The intervals from the forecast's own in-sample errors over 24 months of growth, against the
  // earlier random walk of the last 3 months only (error_window 3 leaves no in-sample forecast:
  // the fallback). 30 histories x 6 months; with the true coverage 80 % and the months of a
  // history correlated, 0.68-0.92 is a wide but failing band (the 3-month walk is far below).
  const double honest = mrr_coverage(24, 30);
  const double recent_only = mrr_coverage(3, 30);
  INFO("coverage with the in-sample errors " << honest << ", with the 3-month random walk " << recent_only);
  CHECK(honest >= 0.68);
  CHECK(honest <= 0.92);
  CHECK(recent_only < honest - 0.1);
}
