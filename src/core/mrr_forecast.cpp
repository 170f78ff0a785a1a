#include "csm/mrr_forecast.hpp"

#include <algorithm>
#include <cmath>
#include <random>

#include "csm/error.hpp"

namespace csm {
namespace {

struct CohortModel {
  const RetentionFit* fit = nullptr;
};

// A parameter draw from the estimates' sampling distribution: each parameter normal around its
// estimate with its standard error (correlations ignored, which widens the intervals), redrawn
// until all are positive; the estimate itself when a standard error is missing.
RetentionParams draw(const RetentionFit& fit, std::mt19937_64& rng) {
  const std::size_t k = parameter_count(fit.model);
  for (std::size_t i = 0; i < k; ++i) {
    if (!fit.standard_errors[i]) return fit.params;
  }
  std::normal_distribution<double> z(0.0, 1.0);
  for (int attempt = 0; attempt < 20; ++attempt) {
    RetentionParams p = fit.params;
    p.a += *fit.standard_errors[0] * z(rng);
    p.b += *fit.standard_errors[1] * z(rng);
    if (k == 3) p.c += *fit.standard_errors[2] * z(rng);
    if (p.a > 0 && p.b > 0 && p.c > 0) return p;
  }
  return fit.params;
}

// S(to) / S(from).
double survival_ratio(const RetentionParams& p, double from, double to) {
  return std::exp(retention_log_survival(p, to) - retention_log_survival(p, from));
}

double quantile(std::vector<double>& values, double q) {
  std::sort(values.begin(), values.end());
  const double at = q * static_cast<double>(values.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(at));
  const std::size_t hi = std::min(lo + 1, values.size() - 1);
  return values[lo] + (at - static_cast<double>(lo)) * (values[hi] - values[lo]);
}

std::int64_t binomial(std::int64_t n, double p, std::mt19937_64& rng) {
  if (n <= 0) return 0;
  p = std::clamp(p, 0.0, 1.0);
  std::binomial_distribution<std::int64_t> d(n, p);
  return d(rng);
}

// Calendar-month log-growths of the survivors' MRR per customer, oldest first, over the last
// `months` months of the data (months without survivors before them are left out).
std::vector<double> monthly_log_growths(std::span<const ForecastCohort> cohorts, std::size_t months) {
  std::vector<double> out;
  for (std::size_t j = 0; j < months; ++j) {
    double num = 0, den = 0;
    for (const ForecastCohort& c : cohorts) {
      if (c.active.size() < j + 2) continue;
      const std::size_t age = c.active.size() - 1 - j;
      if (c.active[age - 1] <= 0) continue;
      num += c.revenue[age];
      den += c.active[age] * c.revenue[age - 1] / c.active[age - 1];
    }
    if (num > 0 && den > 0) out.push_back(std::log(num / den));
  }
  std::reverse(out.begin(), out.end());
  return out;
}

// Weighted least squares of v(h) ~ level + walk h + drift h^2 + pace h(h+1)(2h+1)/6 with every
// term >= 0: the best of the fits on each subset of the terms whose coefficients are all >= 0.
struct ErrorTerms {
  double level = 0, walk = 0, drift = 0, pace = 0;
};
ErrorTerms fit_error_terms(const std::vector<double>& h, const std::vector<double>& v, const std::vector<double>& w) {
  ErrorTerms best;
  double best_sse = -1;
  for (unsigned mask = 1; mask < 16; ++mask) {
    std::vector<unsigned> terms;
    for (unsigned t = 0; t < 4; ++t) {
      if ((mask >> t) & 1U) terms.push_back(t);
    }
    const std::size_t k = terms.size();
    const auto basis = [](unsigned t, double x) {
      return t == 0 ? 1.0 : t == 1 ? x : t == 2 ? x * x : x * (x + 1) * (2 * x + 1) / 6;
    };
    // Normal equations A c = y, solved by Gaussian elimination with partial pivoting.
    double a[4][5] = {};
    for (std::size_t i = 0; i < h.size(); ++i) {
      for (std::size_t r = 0; r < k; ++r) {
        for (std::size_t c = 0; c < k; ++c) a[r][c] += w[i] * basis(terms[r], h[i]) * basis(terms[c], h[i]);
        a[r][k] += w[i] * basis(terms[r], h[i]) * v[i];
      }
    }
    // A subset with more terms than distinct horizons is singular (up to round-off): skipped.
    double scale = 0;
    for (std::size_t r = 0; r < k; ++r) scale = std::max(scale, std::fabs(a[r][r]));
    bool singular = false;
    for (std::size_t col = 0; col < k && !singular; ++col) {
      std::size_t pivot = col;
      for (std::size_t r = col + 1; r < k; ++r) {
        if (std::fabs(a[r][col]) > std::fabs(a[pivot][col])) pivot = r;
      }
      if (std::fabs(a[pivot][col]) <= 1e-10 * scale) {
        singular = true;
        break;
      }
      for (std::size_t c = 0; c <= k; ++c) std::swap(a[col][c], a[pivot][c]);
      for (std::size_t r = 0; r < k; ++r) {
        if (r == col) continue;
        const double factor = a[r][col] / a[col][col];
        for (std::size_t c = col; c <= k; ++c) a[r][c] -= factor * a[col][c];
      }
    }
    if (singular) continue;
    double coef[4] = {0, 0, 0, 0};
    bool negative = false;
    for (std::size_t r = 0; r < k; ++r) {
      coef[terms[r]] = a[r][k] / a[r][r];
      if (coef[terms[r]] < 0) negative = true;
    }
    if (negative || !std::isfinite(coef[0] + coef[1] + coef[2] + coef[3])) continue;
    double sse = 0;
    for (std::size_t i = 0; i < h.size(); ++i) {
      const double e = v[i] - (coef[0] + coef[1] * basis(1, h[i]) + coef[2] * basis(2, h[i]) + coef[3] * basis(3, h[i]));
      sse += w[i] * e * e;
    }
    if (best_sse < 0 || sse < best_sse * (1 - 1e-12)) {
      best_sse = sse;
      best = {coef[0], coef[1], coef[2], coef[3]};
    }
  }
  return best;
}

}  // namespace

MrrForecast forecast_mrr(std::span<const ForecastCohort> cohorts, const MrrForecastOptions& o) {
  const RetentionModel model = o.bdw ? RetentionModel::bdw : RetentionModel::sbg;
  const std::size_t k = parameter_count(model);
  std::vector<SurvivalCounts> all;
  for (const ForecastCohort& c : cohorts) {
    if (c.active.empty() || c.active.size() != c.revenue.size()) {
      throw InputError("", 0, "", "forecast: cohort " + c.name + " has no months");
    }
    if (c.active.size() > 1 && c.active.front() > 0) all.push_back({c.active});
  }
  MrrForecast f;
  try {
    f.pooled = fit_retention(model, all);
  } catch (const InputError& e) {
    throw InputError("", 0, "", std::string("forecast: the retention of the cohorts taken together cannot be fitted: ") + e.what());
  }
  // Each cohort's own fit where it is large and old enough, else the pooled one.
  std::vector<RetentionFit> own(cohorts.size());
  std::vector<const RetentionFit*> fits(cohorts.size(), &f.pooled);
  for (std::size_t i = 0; i < cohorts.size(); ++i) {
    const ForecastCohort& c = cohorts[i];
    if (c.active.front() < o.min_customers || c.active.size() - 1 < k) continue;
    try {
      const std::vector<SurvivalCounts> one = {{c.active}};
      own[i] = fit_retention(model, one);
      fits[i] = &own[i];
      ++f.cohorts_own_fit;
    } catch (const InputError&) {
      // the pooled fit stands in
    }
  }
  // Recent rates over the last `recent` months of the data.
  std::size_t longest = 0;
  for (const ForecastCohort& c : cohorts) longest = std::max(longest, c.active.size());
  const std::size_t recent = std::max<std::size_t>(1, std::min(o.recent_months, longest));
  double new_customers = 0, new_revenue = 0;
  for (const ForecastCohort& c : cohorts) {
    if (c.active.size() <= recent) {
      new_customers += c.active.front();
      new_revenue += c.revenue.front();
    }
  }
  f.new_per_month = o.new_per_month.value_or(new_customers / static_cast<double>(recent));
  f.new_per_month_given = o.new_per_month.has_value();
  // The recent months' log-growths, newest first (the order of the sums below), for the rate and
  // for the intervals (how much the rate varies).
  std::vector<double> monthly_log_growth = monthly_log_growths(cohorts, recent);
  std::reverse(monthly_log_growth.begin(), monthly_log_growth.end());
  double log_growth = 0;
  for (const double v : monthly_log_growth) log_growth += v;
  const std::size_t growth_months = monthly_log_growth.size();
  f.net_expansion_rate = growth_months > 0 ? std::expm1(log_growth / static_cast<double>(growth_months)) : 0;
  const double g = 1 + f.net_expansion_rate;
  // The intervals carry the rate's uncertainty (docs/retention.md): each simulation draws the
  // mean monthly log-growth around its estimate with its standard error sd/sqrt(k), and each
  // month's growth around that mean with the month-to-month sd of the k recent months (a random
  // walk of the log MRR per customer). With fewer than 2 months the rate is taken as known.
  double growth_sd = 0;
  if (monthly_log_growth.size() >= 2) {
    const double months_seen = static_cast<double>(monthly_log_growth.size());
    const double mean = log_growth / months_seen;
    double ss = 0;
    for (const double v : monthly_log_growth) ss += (v - mean) * (v - mean);
    growth_sd = std::sqrt(ss / (months_seen - 1));
  }
  f.expansion_sd = growth_sd;
  // The forecast's own in-sample errors (docs/retention.md): from every month t of the last
  // error_window months of growth with `recent` months before it, the log MRR per customer h
  // months later against the recent mean rate at t, for h = 1..12 (horizons with at least 3
  // such forecasts). Their mean square per horizon is fitted by level + walk h + drift h^2 +
  // pace h(h+1)(2h+1)/6 (the variance of a path whose monthly rate itself walks).
  {
    const std::vector<double> x = monthly_log_growths(cohorts, std::min(std::max(o.error_window, recent), longest - 1));
    constexpr std::size_t max_horizon = 12;
    std::vector<double> sum(max_horizon + 1, 0.0), count(max_horizon + 1, 0.0);
    std::size_t origins = 0;
    for (std::size_t t = recent; t < x.size(); ++t) {
      double mean = 0;
      for (std::size_t i = t - recent; i < t; ++i) mean += x[i];
      mean /= static_cast<double>(recent);
      double cumulative = 0;
      ++origins;
      for (std::size_t hh = 1; hh <= max_horizon && t + hh - 1 < x.size(); ++hh) {
        cumulative += x[t + hh - 1] - mean;
        sum[hh] += cumulative * cumulative;
        count[hh] += 1;
      }
    }
    std::vector<double> hs, vs, ws;
    for (std::size_t hh = 1; hh <= max_horizon; ++hh) {
      if (count[hh] < 3) continue;
      hs.push_back(static_cast<double>(hh));
      vs.push_back(sum[hh] / count[hh]);
      ws.push_back(count[hh]);
    }
    const ErrorTerms terms = recent >= 2 && origins >= 3 && !hs.empty() ? fit_error_terms(hs, vs, ws) : ErrorTerms{};
    // The wider of the two at the last forecast month: the in-sample errors, or the random walk
    // of the recent months (when these months vary more than the history did).
    const double last = static_cast<double>(std::max<std::size_t>(o.months, 1));
    const double in_sample = terms.level + terms.walk * last + terms.drift * last * last +
                             terms.pace * last * (last + 1) * (2 * last + 1) / 6;
    const double recent_walk =
        growth_months >= 2 ? growth_sd * growth_sd * (last + last * last / static_cast<double>(growth_months)) : 0.0;
    if (recent >= 2 && origins >= 3 && !hs.empty() && in_sample >= recent_walk) {
      f.error_level = terms.level;
      f.error_walk = terms.walk;
      f.error_drift = terms.drift;
      f.error_pace = terms.pace;
      f.error_origins = origins;
    }
  }
  for (const ForecastCohort& c : cohorts) {
    f.start_customers += c.active.back();
    f.start_mrr += c.revenue.back();
  }
  f.new_arpu = new_customers > 0 ? new_revenue / new_customers
                                 : (f.start_customers > 0 ? f.start_mrr / f.start_customers : 0);

  const std::size_t n = o.months;
  f.months.resize(n);
  // Expected values.
  for (std::size_t h = 1; h <= n; ++h) {
    ForecastMonth& m = f.months[h - 1];
    m.month = h;
    const double growth = std::pow(g, static_cast<double>(h));
    for (std::size_t i = 0; i < cohorts.size(); ++i) {
      const ForecastCohort& c = cohorts[i];
      const double age = static_cast<double>(c.active.size() - 1);
      const double keep = survival_ratio(fits[i]->params, age, age + static_cast<double>(h));
      m.existing_customers += c.active.back() * keep;
      m.mrr += c.revenue.back() * keep * growth;
    }
    for (std::size_t j = 1; j <= h; ++j) {
      const double age = static_cast<double>(h - j);
      const double keep = retention_survival(f.pooled.params, age);
      m.new_customers += f.new_per_month * keep;
      m.mrr += f.new_per_month * f.new_arpu * keep * std::pow(g, age);
    }
    m.customers = m.existing_customers + m.new_customers;
  }
  // Simulations, in one fixed order (the same numbers for a seed).
  const unsigned sims = std::max(1u, o.simulations);
  std::vector<std::vector<double>> customers(n, std::vector<double>(sims)), mrr(n, std::vector<double>(sims));
  std::mt19937_64 rng(o.seed);
  std::vector<double> sim_customers(n), sim_mrr(n);
  std::vector<double> path(n + 1, 0.0);  // cumulative log-growth after h months
  std::vector<double> level(n + 1, 0.0);  // the month's own deviation of the level (error_level)
  std::normal_distribution<double> z(0.0, 1.0);
  const double log_g = std::log(g);
  for (unsigned s = 0; s < sims; ++s) {
    std::fill(sim_customers.begin(), sim_customers.end(), 0.0);
    std::fill(sim_mrr.begin(), sim_mrr.end(), 0.0);
    std::fill(level.begin(), level.end(), 0.0);
    if (f.error_origins > 0) {
      // The error variance is itself estimated from a few forecasts: each simulation scales it
      // by nu / chi2(nu), nu = origins - 1 (normal errors with an estimated variance: Student t).
      double scale = 1;
      if (f.error_origins >= 3 && f.error_level + f.error_walk + f.error_drift + f.error_pace > 0) {
        const double nu = static_cast<double>(f.error_origins - 1);
        std::chi_squared_distribution<double> chi2(nu);
        scale = std::sqrt(nu / std::max(chi2(rng), 1e-12));
      }
      double mean = log_g + (f.error_drift > 0 ? scale * std::sqrt(f.error_drift) * z(rng) : 0.0);
      for (std::size_t h = 1; h <= n; ++h) {
        if (f.error_pace > 0) mean += scale * std::sqrt(f.error_pace) * z(rng);  // the pace itself walks
        path[h] = path[h - 1] + mean + (f.error_walk > 0 ? scale * std::sqrt(f.error_walk) * z(rng) : 0.0);
        if (f.error_level > 0) level[h] = scale * std::sqrt(f.error_level) * z(rng);
      }
    } else if (growth_sd > 0) {
      const double mean = log_g + growth_sd / std::sqrt(static_cast<double>(growth_months)) * z(rng);
      for (std::size_t h = 1; h <= n; ++h) path[h] = path[h - 1] + mean + growth_sd * z(rng);
    } else {
      for (std::size_t h = 1; h <= n; ++h) path[h] = log_g * static_cast<double>(h);
    }
    for (std::size_t i = 0; i < cohorts.size(); ++i) {
      const ForecastCohort& c = cohorts[i];
      if (c.active.back() <= 0) continue;
      const RetentionParams p = draw(*fits[i], rng);
      const double arpu = c.revenue.back() / c.active.back();
      const double age = static_cast<double>(c.active.size() - 1);
      auto alive = static_cast<std::int64_t>(std::llround(c.active.back()));
      for (std::size_t h = 1; h <= n; ++h) {
        const double hh = static_cast<double>(h);
        alive = binomial(alive, survival_ratio(p, age + hh - 1, age + hh), rng);
        sim_customers[h - 1] += static_cast<double>(alive);
        sim_mrr[h - 1] += static_cast<double>(alive) * arpu * std::exp(path[h] + level[h]);
      }
    }
    const RetentionParams p = draw(f.pooled, rng);
    // The arrival rate is estimated too (from `new_customers` arrivals in `recent` months): each
    // simulation draws it from its Gamma(arrivals, 1 / months) posterior; a given rate is known.
    double rate = f.new_per_month;
    if (!f.new_per_month_given && new_customers > 0) {
      std::gamma_distribution<double> posterior(new_customers, 1.0 / static_cast<double>(recent));
      rate = posterior(rng);
    }
    for (std::size_t j = 1; j <= n; ++j) {
      std::poisson_distribution<std::int64_t> arrivals(std::max(rate, 1e-12));
      std::int64_t alive = rate > 0 ? arrivals(rng) : 0;
      for (std::size_t h = j; h <= n; ++h) {
        const double age = static_cast<double>(h - j);
        if (h > j) alive = binomial(alive, survival_ratio(p, age - 1, age), rng);
        sim_customers[h - 1] += static_cast<double>(alive);
        sim_mrr[h - 1] += static_cast<double>(alive) * f.new_arpu * std::exp(path[h] - path[j]);
      }
    }
    for (std::size_t h = 0; h < n; ++h) {
      customers[h][s] = sim_customers[h];
      mrr[h][s] = sim_mrr[h];
    }
  }
  const double lo = (1 - o.interval) / 2, hi = (1 + o.interval) / 2;
  for (std::size_t h = 0; h < n; ++h) {
    f.months[h].customers_low = quantile(customers[h], lo);
    f.months[h].customers_high = quantile(customers[h], hi);
    f.months[h].mrr_low = quantile(mrr[h], lo);
    f.months[h].mrr_high = quantile(mrr[h], hi);
  }
  return f;
}

BacktestSplit split_for_backtest(std::span<const ForecastCohort> cohorts, std::size_t months) {
  BacktestSplit split;
  split.actual_customers.assign(months, 0);
  split.actual_mrr.assign(months, 0);
  for (const ForecastCohort& c : cohorts) {
    const std::size_t last = c.active.size() - 1;  // age in the last month
    if (last >= months) {
      ForecastCohort cut = c;
      cut.active.resize(last - months + 1);
      cut.revenue.resize(last - months + 1);
      split.before.push_back(std::move(cut));
    }
    for (std::size_t h = 1; h <= months; ++h) {
      // Calendar month end - months + h is age last - months + h of this cohort.
      if (last + h < months) continue;
      const std::size_t age = last + h - months;
      split.actual_customers[h - 1] += c.active[age];
      split.actual_mrr[h - 1] += c.revenue[age];
    }
  }
  return split;
}

BacktestResult score_backtest(const MrrForecast& f, const BacktestSplit& split) {
  BacktestResult r;
  r.months = std::min(f.months.size(), split.actual_customers.size());
  std::size_t nc = 0, nm = 0;
  for (std::size_t h = 0; h < r.months; ++h) {
    const ForecastMonth& m = f.months[h];
    const double ac = split.actual_customers[h], am = split.actual_mrr[h];
    if (ac > 0) {
      r.mape_customers += std::fabs(m.customers - ac) / ac * 100;
      ++nc;
    }
    if (am > 0) {
      r.mape_mrr += std::fabs(m.mrr - am) / am * 100;
      ++nm;
    }
    r.coverage_customers += ac >= m.customers_low && ac <= m.customers_high ? 1 : 0;
    r.coverage_mrr += am >= m.mrr_low && am <= m.mrr_high ? 1 : 0;
  }
  if (nc > 0) r.mape_customers /= static_cast<double>(nc);
  if (nm > 0) r.mape_mrr /= static_cast<double>(nm);
  if (r.months > 0) {
    r.coverage_customers /= static_cast<double>(r.months);
    r.coverage_mrr /= static_cast<double>(r.months);
  }
  return r;
}

}  // namespace csm
