// The Pareto/NBD fit: the likelihood summed over the distinct histories (with the cumulative
// tails of each x), the diagnosis of run-off parameters, and the fit itself. One customer's
// terms are in pareto_nbd.cpp (pareto_nbd_terms.hpp).

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "csm/error.hpp"
#include "csm/parallel.hpp"
#include "csm/pareto_nbd.hpp"
#include "mle.hpp"
#include "pareto_nbd_terms.hpp"

namespace csm {
namespace {

using detail::g4;
using detail::pareto::combine;
using detail::pareto::evaluate;
using detail::pareto::gamma_ratio;
using detail::pareto::PointValue;
using detail::pareto::Tail;
using detail::pareto::tails_of_x;

struct Point {
  double x, t_x, T, w;
  std::uint32_t xi;  // index of x among the distinct values
};

// The fit's sum over distinct histories (sorted by x, t_x, T): per x, its distinct times
// ascending, and for each history the positions of its t_x and T among them.
struct HistoryLayout {
  std::vector<Point> points;
  std::vector<double> xs;
  std::vector<double> times;                // per x, ascending
  std::vector<std::size_t> x_begin;         // xs.size() + 1 offsets into times
  std::vector<std::uint32_t> at_tx, at_T;   // per point, an index into times
};

HistoryLayout layout_of(detail::DistinctHistories histories) {
  HistoryLayout out;
  out.xs = std::move(histories.xs);
  out.points.reserve(histories.points.size());
  for (const detail::DistinctHistories::Point& h : histories.points) {
    out.points.push_back({h.x, h.t_x, h.T, h.w, h.xi});
  }
  std::vector<detail::DistinctHistories::Point>().swap(histories.points);
  out.x_begin.assign(out.xs.size() + 1, 0);
  out.at_tx.resize(out.points.size());
  out.at_T.resize(out.points.size());
  std::vector<double> group;
  for (std::size_t i = 0; i < out.points.size();) {
    std::size_t j = i;
    group.clear();
    for (; j < out.points.size() && out.points[j].xi == out.points[i].xi; ++j) {
      group.push_back(out.points[j].t_x);
      group.push_back(out.points[j].T);
    }
    std::sort(group.begin(), group.end());
    group.erase(std::unique(group.begin(), group.end()), group.end());
    const std::size_t base = out.times.size();
    out.times.insert(out.times.end(), group.begin(), group.end());
    for (std::size_t k = i; k < j; ++k) {
      const auto position = [&](double t) {
        return static_cast<std::uint32_t>(
            base + static_cast<std::size_t>(std::lower_bound(group.begin(), group.end(), t) - group.begin()));
      };
      out.at_tx[k] = position(out.points[k].t_x);
      out.at_T[k] = position(out.points[k].T);
    }
    out.x_begin[out.points[i].xi + 1] = out.times.size();
    i = j;
  }
  // x values without histories cannot occur (xs comes from the points), but keep offsets monotone.
  for (std::size_t k = 1; k < out.x_begin.size(); ++k) {
    out.x_begin[k] = std::max(out.x_begin[k], out.x_begin[k - 1]);
  }
  return out;
}

// sum w ll over the histories and, when `grad` has 4 elements, its derivatives in r, alpha, s, beta.
double total_log_likelihood(const HistoryLayout& h, const BgNbdParams& p, std::span<double> grad,
                            unsigned threads) {
  const bool with_gradient = !grad.empty();
  const std::size_t nx = h.xs.size();
  std::vector<double> lg(nx), dlg(nx);
  for (std::size_t i = 0; i < nx; ++i) gamma_ratio(p.r, h.xs[i], lg[i], dlg[i]);
  std::vector<Tail> tails(h.times.size());
  std::vector<char> tabled(nx, 0);
  parallel_jobs(nx, threads, [&](std::size_t xi) {
    const std::size_t b = h.x_begin[xi], e = h.x_begin[xi + 1];
    if (e > b) {
      tabled[xi] = tails_of_x(p, h.xs[xi], std::span<const double>(h.times).subspan(b, e - b),
                              std::span<Tail>(tails).subspan(b, e - b));
    }
  });
  const std::array<double, 5> sums = chunked_sums<5>(
      h.points.size(), detail::kPointsPerChunk / 4, threads,
      [&](std::size_t begin, std::size_t end, std::array<double, 5>& sum) {
        std::array<double, 5> acc{};
        for (std::size_t i = begin; i < end; ++i) {
          const Point& pt = h.points[i];
          PointValue v;
          if (!tabled[pt.xi]) {
            v = evaluate(p, pt.x, pt.t_x, pt.T, with_gradient, lg[pt.xi], dlg[pt.xi]);
          } else if (pt.T > pt.t_x) {
            const Tail& a = tails[h.at_tx[i]];
            const Tail& b = tails[h.at_T[i]];
            const double ratio = std::exp(b.log_g - a.log_g);  // G(T) / G(t_x) < 1
            const double log_b = std::log(p.a) + a.log_g + std::log(-std::expm1(b.log_g - a.log_g));
            std::array<double, 4> ri{};
            for (std::size_t k = 0; k < 4; ++k) ri[k] = (a.rel[k] - ratio * b.rel[k]) / (1 - ratio);
            ri[2] += 1 / p.a;
            v = combine(p, pt.x, pt.T, log_b, ri, with_gradient, lg[pt.xi], dlg[pt.xi]);
          } else {
            v = combine(p, pt.x, pt.T, -std::numeric_limits<double>::infinity(), {}, with_gradient,
                        lg[pt.xi], dlg[pt.xi]);
          }
          acc[0] += pt.w * v.ll;
          for (std::size_t k = 0; k < 4; ++k) acc[k + 1] += pt.w * v.grad[k];
        }
        sum = acc;
      });
  if (with_gradient) {
    for (std::size_t k = 0; k < 4; ++k) grad[k] = sums[k + 1];
  }
  return sums[0];
}

// Where the parameters of a fit ran off, and whether that is a limit of the model that still
// makes sense (as for BG/NBD): one purchase rate for everyone (r, alpha -> infinity), one
// drop-out rate for everyone (s, beta -> infinity), or no drop-out (s/beta -> 0: the NBD).
detail::Runoff diagnose(const std::vector<double>& u, double scale) {
  const double r = std::exp(u[0]), alpha = std::exp(u[1]), s = std::exp(u[2]), beta = std::exp(u[3]);
  detail::Runoff d;
  detail::purchase_rate_runoff(d, r, alpha, scale);
  detail::pair_runoff(
      d, s, beta, scale, s / beta * scale,
      {.first = 2,
       .names = {"s", "beta"},
       .together = "s and beta grow without bound together (s/beta, the mean drop-out rate, stays at " +
                   g4(s / beta) + " per time unit): drop-out rates do not vary between customers in these data",
       .together_limit = "every customer drops out at the same rate s/beta = " + g4(s / beta) +
                         " per time unit (s and beta -> infinity)",
       .vanished = "s/beta, the mean drop-out rate, goes to 0: the data show no sign of customers dropping out",
       .vanished_limit = "no customer drops out (s/beta -> 0: the NBD model; p_alive is about 1)"});
  if (d.why.empty()) d.only_limits = false;
  return d;
}


}  // namespace

double pareto_nbd_total_log_likelihood(std::span<const RfmCustomer> customers,
                                        const BgNbdParams& p, std::span<double> gradient,
                                        unsigned threads) {
  const HistoryLayout histories =
      layout_of(detail::distinct_histories(customers, "Pareto/NBD", threads));
  return total_log_likelihood(histories, p, gradient, threads);
}

BgNbdFit fit_pareto_nbd(std::span<const RfmCustomer> customers, const FitOptions& options) {
  const std::string name = "Pareto/NBD";
  detail::DistinctHistories distinct = detail::distinct_histories(customers, name, options.threads);
  const double mean_T = distinct.mean_T;
  const HistoryLayout histories = layout_of(std::move(distinct));
  const double total_weight = static_cast<double>(customers.size());

  const auto mean_nll = [&](std::span<const double> u, std::span<double> grad,
                            double penalizer) -> double {
    const BgNbdParams p{std::exp(u[0]), std::exp(u[1]), std::exp(u[2]), std::exp(u[3])};
    std::array<double, 4> sums{};
    const bool with_gradient = !grad.empty();
    const double ll = total_log_likelihood(histories, p, with_gradient ? std::span<double>(sums) : std::span<double>(),
                                           options.threads);
    return detail::mean_penalised_nll(ll, {p.r, p.alpha, p.a, p.b}, sums, total_weight, penalizer,
                                      grad);
  };
  const detail::Objectives objectives = detail::penalised_and_plain(mean_nll, options.penalizer);
  const double scale = std::max(mean_T, 1e-6);
  const std::vector<std::vector<double>> starts = {
      {std::log(0.5), std::log(scale / 4), std::log(0.5), std::log(scale / 4)},
      {0, 0, 0, 0},
      {std::log(0.2), std::log(scale / 10), std::log(0.8), std::log(scale)},
      {std::log(2.0), std::log(scale), std::log(2.0), std::log(scale * 4)},
  };
  const detail::MleResult result = detail::minimise(objectives.penalised, starts, options.max_evaluations);
  if (result.u.empty()) throw InputError("", 0, "", name + " fit failed: " + result.failure);
  const detail::AcceptedFit accepted = detail::accept_fit(
      objectives.penalised, objectives.plain, result, total_weight, name,
      [&](const std::vector<double>& u) { return diagnose(u, scale); },
      [&](const detail::Runoff& d) {
        const std::string best_point =
            "r " + g4(std::exp(result.u[0])) + ", alpha " + g4(std::exp(result.u[1])) + ", s " +
            g4(std::exp(result.u[2])) + ", beta " + g4(std::exp(result.u[3]));
        return name + " fit failed on " + std::to_string(customers.size()) +
               (customers.size() == 1 ? " customer: " : " customers: ") +
               detail::explain_refused_fit(result, d.why, "four", best_point, options.penalizer);
      });
  BgNbdFit fit = detail::fit_from<BgNbdFit>(accepted, result, customers.size());
  fit.model = PurchaseModel::paretonbd;
  return fit;
}

}  // namespace csm
