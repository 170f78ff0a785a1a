#include "csm/prediction_interval.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <numbers>
#include <random>
#include <string>

#include "csm/error.hpp"
#include "csm/parallel.hpp"
#include "csm/pareto_nbd.hpp"
#include "csm/purchase_paths.hpp"

namespace csm {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// Standard normal numbers from a 64-bit Mersenne Twister by the Box-Muller transform, written out
// (std::normal_distribution differs between standard libraries): the same seed gives the same
// draws everywhere.
class Normals {
 public:
  explicit Normals(std::uint64_t seed) : rng_(seed) {}
  double operator()() {
    if (spare_) {
      const double z = *spare_;
      spare_.reset();
      return z;
    }
    const double u1 = static_cast<double>((rng_() >> 11) + 1) * 0x1p-53;  // (0, 1]
    const double u2 = static_cast<double>(rng_() >> 11) * 0x1p-53;        // [0, 1)
    const double radius = std::sqrt(-2 * std::log(u1));
    spare_ = radius * std::sin(2 * std::numbers::pi * u2);
    return radius * std::cos(2 * std::numbers::pi * u2);
  }

 private:
  std::mt19937_64 rng_;
  std::optional<double> spare_;
};

// Lower-triangular L with L L^T = the k x k row-major covariance; empty when it is not positive
// definite.
std::vector<double> cholesky(const std::vector<double>& cov, std::size_t k) {
  std::vector<double> l(k * k, 0.0);
  for (std::size_t i = 0; i < k; ++i) {
    for (std::size_t j = 0; j <= i; ++j) {
      double sum = cov[i * k + j];
      for (std::size_t m = 0; m < j; ++m) sum -= l[i * k + m] * l[j * k + m];
      if (i == j) {
        if (!(sum > 0) || !std::isfinite(sum)) return {};
        l[i * k + i] = std::sqrt(sum);
      } else {
        l[i * k + j] = sum / l[j * k + j];
      }
    }
  }
  return l;
}

// The Cholesky factor of a fit's covariance of its k log-parameters, or the reason there is none
// (exit 65).
std::vector<double> draw_factor(const std::string& name, const std::vector<double>& cov, std::size_t k) {
  if (cov.size() != k * k) {
    throw InputError("", 0, "",
                     "--interval: the " + name + " fit has no covariance of its parameters (a "
                     "standard error is null: it converged to a limit of the model, or the "
                     "likelihood is flat there), so their uncertainty cannot be drawn");
  }
  std::vector<double> l = cholesky(cov, k);
  if (l.empty()) {
    throw InputError("", 0, "", "--interval: the covariance of the " + name + " estimates is not positive definite");
  }
  return l;
}

// log(theta) + L z for k parameters.
template <std::size_t K>
std::array<double, K> draw(const std::array<double, K>& theta, const std::vector<double>& l,
                           Normals& normal) {
  std::array<double, K> z{};
  for (double& v : z) v = normal();
  std::array<double, K> out{};
  for (std::size_t i = 0; i < K; ++i) {
    double u = std::log(theta[i]);
    for (std::size_t j = 0; j <= i; ++j) u += l[i * K + j] * z[j];
    out[i] = std::exp(u);
  }
  return out;
}

std::optional<double> finite_or_null(double v) {
  return std::isfinite(v) ? std::optional<double>(v) : std::nullopt;
}

// Sorting key of a customer: customers with the same (x, T) share the expectations of a live
// customer, those with the same (x, T, t_x) also P(alive).
struct Key {
  double x, T, t_x;
  std::uint32_t customer;
  bool same_group(const Key& o) const { return x == o.x && T == o.T; }
  bool same_triple(const Key& o) const { return same_group(o) && t_x == o.t_x; }
};

// count_quantile's order statistic from a histogram of counts (histogram[k]: how many are k).
std::uint64_t histogram_quantile(const std::vector<std::uint64_t>& histogram, double q) {
  std::uint64_t n = 0;
  for (std::uint64_t h : histogram) n += h;
  if (n == 0) return 0;
  const double rank = std::max(1.0, std::ceil(static_cast<double>(n) * q - 1e-9));
  std::uint64_t seen = 0;
  for (std::size_t k = 0; k < histogram.size(); ++k) {
    seen += histogram[k];
    if (static_cast<double>(seen) >= rank) return k;
  }
  return histogram.size() - 1;
}

}  // namespace

double quantile(std::span<double> values, double q) {
  const std::size_t n = values.size();
  if (n == 0) return std::numeric_limits<double>::quiet_NaN();
  const double h = static_cast<double>(n - 1) * q;
  const auto lo = static_cast<std::size_t>(std::floor(h));
  const double frac = h - static_cast<double>(lo);
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(lo), values.end());
  const double a = values[lo];
  if (frac == 0 || lo + 1 >= n) return a;
  const double b = *std::min_element(values.begin() + static_cast<std::ptrdiff_t>(lo) + 1, values.end());
  if (std::isinf(b) || std::isinf(a)) return b;
  return a + frac * (b - a);
}

PredictionIntervals prediction_intervals(PurchaseModel model, const BgNbdFit& purchases,
                                         const GammaGammaFit& spend,
                                         std::span<const RfmCustomer> customers,
                                         const ForecastOptions& forecast,
                                         const IntervalOptions& options) {
  const std::vector<double> lp = draw_factor(std::string(display_name(model)), purchases.log_covariance, 4);
  const std::vector<double> lg = draw_factor("Gamma-Gamma", spend.log_covariance, 3);
  // The draws, in order, from one generator: the same for any number of threads.
  const unsigned n_draws = options.draws;
  std::vector<BgNbdParams> pd(n_draws);
  std::vector<GammaGammaParams> gd(n_draws);
  Normals normal(options.seed);
  const BgNbdParams& p = purchases.params;
  const GammaGammaParams& g = spend.params;
  for (unsigned d = 0; d < n_draws; ++d) {
    const std::array<double, 4> a = draw<4>({p.r, p.alpha, p.a, p.b}, lp, normal);
    const std::array<double, 3> b = draw<3>({g.p, g.q, g.gamma}, lg, normal);
    pd[d] = {a[0], a[1], a[2], a[3]};
    gd[d] = {b[0], b[1], b[2]};
  }

  // Customers sorted by (x, T, t_x): runs of one (x, T) are the groups.
  std::vector<Key> keys(customers.size());
  for (std::size_t i = 0; i < customers.size(); ++i) {
    const RfmCustomer& c = customers[i];
    keys[i] = {static_cast<double>(c.x), c.T, c.t_x, static_cast<std::uint32_t>(i)};
  }
  parallel_sort(keys.begin(), keys.end(), forecast.threads, [](const Key& l, const Key& r) {
    if (l.x != r.x) return l.x < r.x;
    if (l.T != r.T) return l.T < r.T;
    if (l.t_x != r.t_x) return l.t_x < r.t_x;
    return l.customer < r.customer;
  });
  std::vector<std::size_t> group_start;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (i == 0 || !keys[i].same_group(keys[i - 1])) group_start.push_back(i);
  }
  group_start.push_back(keys.size());
  const std::size_t n_groups = group_start.size() - 1;

  PredictionIntervals out;
  out.options = options;
  out.customers.resize(customers.size());
  const double lower_q = (1 - options.level) / 2, upper_q = (1 + options.level) / 2;
  // Jobs of a fixed number of groups, each with its own per-draw totals, added in job order:
  // the same bits with any number of threads.
  // (At most about 4,096 jobs, so that their totals stay small for a million distinct groups.)
  const std::size_t kGroupsPerJob = std::max<std::size_t>(16, (n_groups + 4095) / 4096);
  const std::size_t jobs = (n_groups + kGroupsPerJob - 1) / kGroupsPerJob;
  std::vector<std::vector<double>> part_purchases(jobs), part_clv(jobs);
  std::vector<unsigned char> without_mean(n_draws, 0);
  std::vector<std::vector<unsigned char>> part_without(jobs);
  std::vector<std::vector<std::uint64_t>> part_made(jobs);  // options.purchases: purchases made

  // Pareto/NBD: P(alive) needs the drop-out integral of every history at every draw. As in the
  // fit, for one x it is G(t_x) - G(T), and G at all the distinct times of that x (any common
  // upper end) comes from one cumulative quadrature (pareto_nbd_log_tails): per draw, one pass
  // per x instead of one series per history. The tables (distinct times by draws) are built for
  // a batch of consecutive jobs at a time, over the times of the batch's customers only, within
  // options.pareto_table_doubles; the jobs are the same whatever the batches: the same bits.
  const bool pareto = model == PurchaseModel::paretonbd;
  const auto job_keys = [&](std::size_t job, std::size_t& begin, std::size_t& end) {
    begin = group_start[job * kGroupsPerJob];
    end = group_start[std::min(n_groups, (job + 1) * kGroupsPerJob)];
  };
  std::vector<std::size_t> job_times;  // per job, its distinct (x, time) pairs
  if (pareto) {
    job_times.resize(jobs);
    parallel_jobs(jobs, forecast.threads, [&](std::size_t job) {
      std::size_t kb = 0, ke = 0;
      job_keys(job, kb, ke);
      std::vector<std::pair<double, double>> pairs;
      for (std::size_t k = kb; k < ke; ++k) {
        pairs.emplace_back(keys[k].x, keys[k].t_x);
        pairs.emplace_back(keys[k].x, keys[k].T);
      }
      std::sort(pairs.begin(), pairs.end());
      job_times[job] = static_cast<std::size_t>(std::unique(pairs.begin(), pairs.end()) - pairs.begin());
    });
  }
  // The current batch: runs of one x among its keys, per run its distinct times (ascending) at
  // run_time_begin[run] in run_times, per key the positions of its t_x and T there, per group
  // its run; tails[run_time_begin[run] * draws + d * (times of the run) + j] = log G, and
  // tabled[run * draws + d] whether that pass succeeded.
  std::vector<std::size_t> run_key_begin, run_time_begin, group_run(pareto ? n_groups : 0);
  std::vector<double> run_times, tails;
  std::vector<std::uint32_t> pos_tx(pareto ? keys.size() : 0), pos_T(pareto ? keys.size() : 0);
  std::vector<unsigned char> tabled;
  const auto fill_tables = [&](std::size_t j0, std::size_t j1) {
    std::size_t kb = 0, ke = 0, unused = 0;
    job_keys(j0, kb, unused);
    job_keys(j1 - 1, unused, ke);
    run_key_begin.clear();
    run_time_begin.clear();
    run_times.clear();
    std::size_t gi = j0 * kGroupsPerJob;
    for (std::size_t i = kb; i < ke;) {
      std::size_t j = i;
      while (j < ke && keys[j].x == keys[i].x) ++j;
      const std::size_t base = run_times.size();
      run_key_begin.push_back(i);
      run_time_begin.push_back(base);
      for (std::size_t k = i; k < j; ++k) {
        run_times.push_back(keys[k].t_x);
        run_times.push_back(keys[k].T);
      }
      std::sort(run_times.begin() + static_cast<std::ptrdiff_t>(base), run_times.end());
      run_times.erase(std::unique(run_times.begin() + static_cast<std::ptrdiff_t>(base), run_times.end()),
                      run_times.end());
      const auto start = run_times.begin() + static_cast<std::ptrdiff_t>(base);
      for (std::size_t k = i; k < j; ++k) {
        pos_tx[k] = static_cast<std::uint32_t>(std::lower_bound(start, run_times.end(), keys[k].t_x) - start);
        pos_T[k] = static_cast<std::uint32_t>(std::lower_bound(start, run_times.end(), keys[k].T) - start);
      }
      for (; gi < n_groups && group_start[gi] < j; ++gi) group_run[gi] = run_key_begin.size() - 1;
      i = j;
    }
    run_key_begin.push_back(ke);
    run_time_begin.push_back(run_times.size());
    const std::size_t runs = run_key_begin.size() - 1;
    tails.assign(run_times.size() * n_draws, 0.0);
    tabled.assign(runs * n_draws, 0);
    parallel_jobs(runs * n_draws, forecast.threads, [&](std::size_t item) {
      const std::size_t run = item / n_draws, d = item % n_draws;
      const std::size_t nt = run_time_begin[run + 1] - run_time_begin[run];
      const std::span<const double> times(run_times.data() + run_time_begin[run], nt);
      const std::span<double> log_g(tails.data() + run_time_begin[run] * n_draws + d * nt, nt);
      tabled[item] = pareto_nbd_log_tails(pd[d], keys[run_key_begin[run]].x, times, log_g) ? 1 : 0;
    });
  };

  const auto run_job = [&](std::size_t job) {
    std::vector<double> over(n_draws), disc(n_draws), alive(n_draws), work(n_draws), clv(n_draws);
    std::vector<double>& tp = part_purchases[job];
    std::vector<double>& tc = part_clv[job];
    std::vector<unsigned char>& tw = part_without[job];
    std::vector<std::uint64_t>& tm = part_made[job];
    std::vector<std::uint64_t> made(options.purchases ? n_draws : 0);
    tm.assign(made.size(), 0);
    tp.assign(n_draws, 0.0);
    tc.assign(n_draws, 0.0);
    tw.assign(n_draws, 0);
    const std::size_t g_end = std::min(n_groups, (job + 1) * kGroupsPerJob);
    for (std::size_t k = job * kGroupsPerJob; k < g_end; ++k) {
      const Key& first = keys[group_start[k]];
      for (unsigned d = 0; d < n_draws; ++d) {
        const LiveExpectation live = expected_if_alive(model, pd[d], first.x, first.T, forecast);
        over[d] = live.over_horizon;
        disc[d] = live.discounted;
      }
      for (std::size_t i = group_start[k]; i < group_start[k + 1];) {
        std::size_t j = i;
        while (j < group_start[k + 1] && keys[j].same_triple(keys[i])) ++j;
        const Key& key = keys[i];
        if (pareto) {
          const std::size_t run = group_run[k];
          const std::size_t nt = run_time_begin[run + 1] - run_time_begin[run];
          const double* block = tails.data() + run_time_begin[run] * n_draws;
          const unsigned char* ok = tabled.data() + run * n_draws;
          for (unsigned d = 0; d < n_draws; ++d) {
            const double* row = block + d * nt;
            alive[d] = ok[d] != 0 ? pareto_nbd_p_alive_from_tails(pd[d], key.x, key.t_x, key.T,
                                                                  row[pos_tx[i]], row[pos_T[i]])
                                  : bgnbd_p_alive(model, pd[d], key.x, key.t_x, key.T);
          }
        } else {
          for (unsigned d = 0; d < n_draws; ++d) {
            alive[d] = bgnbd_p_alive(model, pd[d], key.x, key.t_x, key.T);
          }
        }
        Bounds pa, ep;
        work = alive;
        pa.lower = finite_or_null(quantile(work, lower_q));
        pa.upper = finite_or_null(quantile(work, upper_q));
        for (unsigned d = 0; d < n_draws; ++d) {
          work[d] = over[d] * alive[d];
          tp[d] += static_cast<double>(j - i) * work[d];
        }
        ep.lower = finite_or_null(quantile(work, lower_q));
        ep.upper = finite_or_null(quantile(work, upper_q));
        for (std::size_t m = i; m < j; ++m) {
          const RfmCustomer& c = customers[keys[m].customer];
          for (unsigned d = 0; d < n_draws; ++d) {
            const std::optional<double> s =
                gamma_gamma_expected_spend(gd[d], key.x, c.monetary.value_or(0));
            if (!s) tw[d] = 1;
            clv[d] = s ? forecast.margin * *s * disc[d] * alive[d] : kInf;
            tc[d] += clv[d];
          }
          CustomerInterval& ci = out.customers[keys[m].customer];
          ci.p_alive = pa;
          ci.expected_purchases = ep;
          ci.clv.lower = finite_or_null(quantile(clv, lower_q));
          ci.clv.upper = finite_or_null(quantile(clv, upper_q));
          if (options.purchases) {
            // One path per draw, from the customer's own stream: the same counts in any job.
            PathRandom random(options.seed, keys[m].customer);
            for (unsigned d = 0; d < n_draws; ++d) {
              made[d] = simulate_purchases(model, pd[d], key.x, key.T, alive[d], forecast.horizon, random);
              tm[d] += made[d];
            }
            ci.purchases.lower = static_cast<double>(count_quantile(made, lower_q));
            ci.purchases.upper = static_cast<double>(count_quantile(made, upper_q));
          }
        }
        i = j;
      }
    }
  };
  try {
    if (!pareto) {
      parallel_jobs(jobs, forecast.threads, run_job);
    } else {
      // Batches of consecutive jobs whose tables fit the budget (at least one job).
      for (std::size_t j0 = 0; j0 < jobs;) {
        std::size_t j1 = j0 + 1, times = job_times[j0];
        while (j1 < jobs && (times + job_times[j1]) * n_draws <= options.pareto_table_doubles) {
          times += job_times[j1];
          ++j1;
        }
        fill_tables(j0, j1);
        parallel_jobs(j1 - j0, forecast.threads, [&](std::size_t jj) { run_job(j0 + jj); });
        j0 = j1;
      }
    }
  } catch (const InputError& e) {
    throw InputError("", 0, "", std::string("--interval: at a draw of the parameters: ") + e.what());
  }
  std::vector<double> total_purchases(n_draws, 0.0), total_clv(n_draws, 0.0);
  std::vector<std::uint64_t> total_made(options.purchases ? n_draws : 0, 0);
  for (std::size_t job = 0; job < jobs; ++job) {
    for (std::size_t d = 0; d < total_made.size(); ++d) total_made[d] += part_made[job][d];
    for (unsigned d = 0; d < n_draws; ++d) {
      total_purchases[d] += part_purchases[job][d];
      total_clv[d] += part_clv[job][d];
      if (part_without[job][d] != 0) without_mean[d] = 1;
    }
  }
  for (unsigned char w : without_mean) out.draws_without_mean_spend += w;
  std::vector<double> work = total_purchases;
  out.expected_purchases_total.lower = finite_or_null(quantile(work, lower_q));
  out.expected_purchases_total.upper = finite_or_null(quantile(work, upper_q));
  work = total_clv;
  out.clv_total.lower = finite_or_null(quantile(work, lower_q));
  out.clv_total.upper = finite_or_null(quantile(work, upper_q));
  if (options.purchases) {
    out.purchases_total.lower = static_cast<double>(count_quantile(total_made, lower_q));
    out.purchases_total.upper = static_cast<double>(count_quantile(total_made, upper_q));
  }
  return out;
}

BgBbIntervals bgbb_prediction_intervals(const BgBbFit& fit, std::span<const BgBbRow> rows,
                                        std::uint32_t horizon, const IntervalOptions& options,
                                        unsigned threads) {
  const std::vector<double> l = draw_factor("BG/BB", fit.log_covariance, 4);
  const unsigned n_draws = options.draws;
  std::vector<BgBbParams> pd(n_draws);
  Normals normal(options.seed);
  const BgBbParams& p = fit.params;
  for (unsigned d = 0; d < n_draws; ++d) {
    const std::array<double, 4> a = draw<4>({p.alpha, p.beta, p.gamma, p.delta}, l, normal);
    pd[d] = {a[0], a[1], a[2], a[3]};
  }
  BgBbIntervals out;
  out.options = options;
  out.rows.resize(rows.size());
  const double lower_q = (1 - options.level) / 2, upper_q = (1 + options.level) / 2;
  // Per row and draw the expected transactions, kept for the totals (rows are distinct
  // histories: a few thousand at most in practice); the totals are added in row order.
  std::vector<double> expected(rows.size() * n_draws);
  std::vector<unsigned char> failed(rows.size(), 0);
  // options.purchases: per row and draw the transactions made by the row's customers, one path
  // each per draw from the row's own stream; per row the counts of one customer's paths
  // (0..horizon) over all its customers and draws, for the bounds.
  std::vector<std::uint64_t> made(options.purchases ? rows.size() * n_draws : 0, 0);
  parallel_jobs(rows.size(), threads, [&](std::size_t i) {
    const BgBbRow& row = rows[i];
    std::vector<double> alive(n_draws);
    double* e = expected.data() + i * n_draws;
    for (unsigned d = 0; d < n_draws; ++d) {
      alive[d] = bgbb_p_alive(pd[d], row.x, row.t_x, row.n);
      e[d] = bgbb_expected_transactions(pd[d], horizon, row.x, row.t_x, row.n);
      if (!std::isfinite(alive[d]) || !std::isfinite(e[d])) failed[i] = 1;
    }
    BgBbRowInterval& ri = out.rows[i];
    ri.p_alive.lower = finite_or_null(quantile(alive, lower_q));
    ri.p_alive.upper = finite_or_null(quantile(alive, upper_q));
    std::vector<double> work(e, e + n_draws);
    ri.expected.lower = finite_or_null(quantile(work, lower_q));
    ri.expected.upper = finite_or_null(quantile(work, upper_q));
    if (options.purchases && failed[i] == 0) {
      PathRandom random(options.seed, i);
      const auto customers = static_cast<std::uint64_t>(std::llround(row.count));
      std::vector<std::uint64_t> histogram(std::size_t{horizon} + 1, 0);
      for (unsigned d = 0; d < n_draws; ++d) {
        std::uint64_t sum = 0;
        for (std::uint64_t c = 0; c < customers; ++c) {
          const std::uint64_t k = simulate_bgbb_transactions(pd[d], row.x, row.n, alive[d], horizon, random);
          ++histogram[k];
          sum += k;
        }
        made[i * n_draws + d] = sum;
      }
      ri.transactions.lower = static_cast<double>(histogram_quantile(histogram, lower_q));
      ri.transactions.upper = static_cast<double>(histogram_quantile(histogram, upper_q));
    }
  });
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (failed[i] != 0) {
      throw InputError("", 0, "",
                       "--interval: at a draw of the parameters, P(alive) or the expected "
                       "transactions of frequency " + std::to_string(rows[i].x) + ", recency " +
                           std::to_string(rows[i].t_x) + ", n " + std::to_string(rows[i].n) +
                           " cannot be computed in double precision");
    }
  }
  std::vector<double> total(n_draws, 0.0);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    for (unsigned d = 0; d < n_draws; ++d) total[d] += rows[i].count * expected[i * n_draws + d];
  }
  out.expected_total.lower = finite_or_null(quantile(total, lower_q));
  out.expected_total.upper = finite_or_null(quantile(total, upper_q));
  if (options.purchases) {
    std::vector<std::uint64_t> sums(n_draws, 0);
    for (std::size_t i = 0; i < rows.size(); ++i) {
      for (unsigned d = 0; d < n_draws; ++d) sums[d] += made[i * n_draws + d];
    }
    out.transactions_total.lower = static_cast<double>(count_quantile(sums, lower_q));
    out.transactions_total.upper = static_cast<double>(count_quantile(sums, upper_q));
  }
  return out;
}

}  // namespace csm
