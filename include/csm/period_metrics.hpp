#pragma once
/// The output of `compute`: one PeriodMetrics per month. Field names are the JSON keys and the
/// names in docs/metrics.md. nullopt means "not defined" (a zero denominator, or not determined by
/// a summary input) and is written as null. The table of these fields (unit, roll-up, derivation,
/// null rule) that every output iterates is csm/period_fields.hpp.

#include <cstdint>
#include <optional>
#include <vector>

#include "csm/decimal.hpp"
#include "csm/month.hpp"

namespace csm {

using Count = std::optional<std::int64_t>;
using Amount = std::optional<MoneySum>;
using Rate = std::optional<double>;

struct PeriodMetrics {
  YearMonth period;
  Count customers_start;        ///< S: active in m-1
  Count churned_customers;      ///< C: active in m-1, not in m
  Count retained_customers;     ///< R = S - C
  Count new_customers;          ///< N: first active month
  Count reactivated_customers;  ///< A: active in m, not m-1, active some month before m-1
  Count customers_end;          ///< E = R + N + A
  Count expanded_customers;     ///< X: active in m-1 and m with more revenue
  Count contracted_customers;   ///< K: active in m-1 and m with less revenue
  Rate churn_rate;              ///< percent, 100 C / S
  Rate retention_rate;          ///< percent, 100 (E - N - A) / S
  Rate expansion_rate;          ///< percent, 100 X / S
  Amount mrr_start;
  Amount mrr_end;
  Amount new_mrr;
  Amount reactivation_mrr;
  Amount expansion_mrr;
  Amount contraction_mrr;  ///< positive
  Amount churned_mrr;      ///< revenue(m-1) of churned customers
  Rate grr;                ///< percent
  Rate nrr;                ///< percent
  Rate arpu;               ///< money per active customer
  Rate csat;               ///< percent of responses >= threshold
  Rate cac;                ///< money per new customer
  Rate clv;                ///< money
  // Inputs behind csat and cac, so a reader can recompute them or weight them.
  Count csat_responses;
  Count csat_satisfied;
  Amount acquisition_cost;
  // Unit economics (after the inputs above, so that the older fields keep their order).
  Rate cac_payback_months;  ///< cac / (arpu * gross_margin)
  Rate ltv_cac;             ///< clv / cac
  Rate quick_ratio;         ///< (new + expansion [+ reactivation] mrr) / (churned + contraction mrr)
  // Net Promoter Score, only when the input has an nps column (nps_responses is then set, 0 for
  // a period without answers; without the column all five stay null and are not written).
  Rate nps;                 ///< 100 (promoters - detractors) / responses, -100..100
  Count nps_responses;      ///< answers 0..10
  Count nps_promoters;      ///< answers 9..10
  Count nps_passives;       ///< answers 7..8
  Count nps_detractors;     ///< answers 0..6
};

/// Settings that change the numbers (echoed in the JSON output under "settings").
struct MetricOptions {
  int csat_threshold = 4;     ///< a response >= this is "satisfied" (1..5)
  double gross_margin = 1.0;  ///< fraction of revenue kept, 0..1, for clv
  double discount_rate = 0.0; ///< per period, >= 0, for clv
  bool quick_ratio_reactivation = true;  ///< count reactivation_mrr in the quick ratio's gains
};

/// Whose customers a period counts: its retention_rate differs (docs/metrics.md, "Groups").
enum class Population : std::uint8_t {
  all,    ///< all customers: retention_rate = 100 (E - N - A) / S
  group,  ///< one group of `compute --by`: 100 R / S (R = S - C: a customer who moved to another
          ///< group is retained, one who moved in is not counted as retained)
};

/// What derive_rates() needs beyond a period's own counts and amounts.
struct DeriveContext {
  MetricOptions options;
  /// Months the period spans (3 for a full quarter): clv uses the monthly equivalent
  /// r^(1/months) of the period's retention (clv_for_period in csm/grain.hpp).
  std::int32_t months = 1;
  Population population = Population::all;
};

/// Fill the derived fields (R and E when not set, the rates, grr, nrr, arpu, csat, cac, clv, the
/// unit economics and nps) from the counts and amounts already set, in one pass over
/// period_fields() (csm/period_fields.hpp). The derived rates are computed afresh: calling it
/// again after an input changed (apply_spend) gives what one call on the new inputs gives.
/// Used by the activity aggregation, the summary input, the roll-ups and apply_spend.
void derive_rates(PeriodMetrics& m, const DeriveContext& context) noexcept;
/// One month of all customers: derive_rates(m, DeriveContext{options}).
void derive_rates(PeriodMetrics& m, const MetricOptions& options) noexcept;

/// Figures over the whole range of months, for people who quote one number.
struct RangeSummary {
  std::optional<YearMonth> first;
  std::optional<YearMonth> last;
  std::int64_t months = 0;
  Rate average_churn_rate;       ///< mean of the monthly churn_rate values that are defined
  Rate annualized_churn_rate;    ///< 100 (1 - (1 - average/100)^12)
  Rate average_nrr;
  Rate average_grr;
  Amount total_new_mrr;
  Amount total_churned_mrr;
  Count total_new_customers;
  Count total_churned_customers;
};

RangeSummary summarize(const std::vector<PeriodMetrics>& periods) noexcept;

}  // namespace csm
