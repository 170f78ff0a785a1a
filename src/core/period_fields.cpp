#include "csm/period_fields.hpp"

#include <array>

#include "csm/formulas.hpp"
#include "csm/grain.hpp"

namespace csm {
namespace {

namespace f = formulas;
using P = PeriodMetrics;
using Context = DeriveContext;

double money(const Amount& a) noexcept { return to_double(*a); }

// The null rules shared by several fields.
std::string_view no_start_customers(const P& m) noexcept {
  return m.customers_start && *m.customers_start == 0 ? "no customers at start" : "";
}
std::string_view no_start_revenue(const P& m) noexcept {
  return m.mrr_start && *m.mrr_start == 0 ? "no revenue at start (mrr_start is 0)" : "";
}
std::string_view no_nps(const P& m) noexcept {
  if (!m.nps_responses) return "the input has no nps column";
  return *m.nps_responses == 0 ? "no nps answers" : "";
}

// In output order; each derivation reads only the fields above it (and the inputs).
constexpr std::array kFields = {
    PeriodField{.name = "customers_start",
                .label = "Customers at start",
                .member = &P::customers_start,
                .unit = FieldUnit::count,
                .roll_up = RollUp::first},
    PeriodField{.name = "churned_customers",
                .label = "Churned customers",
                .member = &P::churned_customers,
                .unit = FieldUnit::count,
                .roll_up = RollUp::sum,
                .better = -1},
    PeriodField{.name = "retained_customers",
                .label = "Retained customers",
                .member = &P::retained_customers,
                .unit = FieldUnit::count,
                .better = 1,
                .formula = "R = S - C (unless the input gives it)",
                .derive =
                    [](P& m, const Context&) noexcept {
                      if (!m.retained_customers && m.customers_start && m.churned_customers) {
                        m.retained_customers = *m.customers_start - *m.churned_customers;
                      }
                    }},
    PeriodField{.name = "new_customers",
                .label = "New customers",
                .member = &P::new_customers,
                .unit = FieldUnit::count,
                .roll_up = RollUp::sum,
                .better = 1},
    PeriodField{.name = "reactivated_customers",
                .label = "Reactivated customers",
                .member = &P::reactivated_customers,
                .unit = FieldUnit::count,
                .roll_up = RollUp::sum,
                .better = 1},
    PeriodField{.name = "customers_end",
                .label = "Active customers",
                .member = &P::customers_end,
                .unit = FieldUnit::count,
                .roll_up = RollUp::last,
                .better = 1,
                .formula = "E = R + N + A (unless the input gives it)",
                .derive =
                    [](P& m, const Context&) noexcept {
                      if (!m.customers_end && m.retained_customers && m.new_customers &&
                          m.reactivated_customers) {
                        m.customers_end =
                            *m.retained_customers + *m.new_customers + *m.reactivated_customers;
                      }
                    }},
    PeriodField{.name = "expanded_customers",
                .label = "Expanded customers",
                .member = &P::expanded_customers,
                .unit = FieldUnit::count,
                .roll_up = RollUp::sum,
                .better = 1},
    PeriodField{.name = "contracted_customers",
                .label = "Contracted customers",
                .member = &P::contracted_customers,
                .unit = FieldUnit::count,
                .roll_up = RollUp::sum,
                .better = -1},
    PeriodField{.name = "churn_rate",
                .label = "Churn rate",
                .member = &P::churn_rate,
                .unit = FieldUnit::percent,
                .better = -1,
                .formula = "100 C / S",
                .derive =
                    [](P& m, const Context&) noexcept {
                      if (m.customers_start && m.churned_customers) {
                        m.churn_rate = f::churn_rate(*m.churned_customers, *m.customers_start);
                      }
                    },
                .null_reason = no_start_customers},
    PeriodField{.name = "retention_rate",
                .label = "Retention rate",
                .member = &P::retention_rate,
                .unit = FieldUnit::percent,
                .better = 1,
                .formula = "100 (E - N - A) / S; for a group 100 R / S",
                .derive =
                    [](P& m, const Context& c) noexcept {
                      if (c.population == Population::group && m.customers_start &&
                          m.retained_customers && *m.customers_start > 0) {
                        m.retention_rate = 100.0 * static_cast<double>(*m.retained_customers) /
                                           static_cast<double>(*m.customers_start);
                      } else if (m.customers_start && m.customers_end && m.new_customers &&
                                 m.reactivated_customers) {
                        m.retention_rate =
                            f::retention_rate(*m.customers_start, *m.customers_end,
                                              *m.new_customers, *m.reactivated_customers);
                      }
                    },
                .null_reason = no_start_customers},
    PeriodField{.name = "expansion_rate",
                .label = "Expansion rate",
                .member = &P::expansion_rate,
                .unit = FieldUnit::percent,
                .better = 1,
                .formula = "100 X / S",
                .derive =
                    [](P& m, const Context&) noexcept {
                      if (m.customers_start && m.expanded_customers) {
                        m.expansion_rate =
                            f::expansion_rate(*m.expanded_customers, *m.customers_start);
                      }
                    },
                .null_reason = no_start_customers},
    PeriodField{.name = "mrr_start",
                .label = "MRR (start of month)",
                .member = &P::mrr_start,
                .unit = FieldUnit::money,
                .roll_up = RollUp::first},
    PeriodField{.name = "mrr_end",
                .label = "MRR (end of month)",
                .member = &P::mrr_end,
                .unit = FieldUnit::money,
                .roll_up = RollUp::last,
                .better = 1},
    PeriodField{.name = "new_mrr",
                .label = "New MRR",
                .member = &P::new_mrr,
                .unit = FieldUnit::money,
                .roll_up = RollUp::sum,
                .better = 1},
    PeriodField{.name = "reactivation_mrr",
                .label = "Reactivation MRR",
                .member = &P::reactivation_mrr,
                .unit = FieldUnit::money,
                .roll_up = RollUp::sum,
                .better = 1},
    PeriodField{.name = "expansion_mrr",
                .label = "Expansion MRR",
                .member = &P::expansion_mrr,
                .unit = FieldUnit::money,
                .roll_up = RollUp::sum,
                .better = 1},
    PeriodField{.name = "contraction_mrr",
                .label = "Contraction MRR",
                .member = &P::contraction_mrr,
                .unit = FieldUnit::money,
                .roll_up = RollUp::sum,
                .better = -1},
    PeriodField{.name = "churned_mrr",
                .label = "Churned MRR",
                .member = &P::churned_mrr,
                .unit = FieldUnit::money,
                .roll_up = RollUp::sum,
                .better = -1},
    PeriodField{.name = "grr",
                .label = "Gross revenue retention (GRR)",
                .member = &P::grr,
                .unit = FieldUnit::percent,
                .better = 1,
                .formula = "100 (mrr_start - churned_mrr - contraction_mrr) / mrr_start",
                .derive =
                    [](P& m, const Context&) noexcept {
                      if (m.mrr_start && m.churned_mrr && m.contraction_mrr) {
                        m.grr = f::grr(money(m.mrr_start), money(m.churned_mrr),
                                       money(m.contraction_mrr));
                      }
                    },
                .null_reason = no_start_revenue},
    PeriodField{.name = "nrr",
                .label = "Net revenue retention (NRR)",
                .member = &P::nrr,
                .unit = FieldUnit::percent,
                .better = 1,
                .formula = "100 (mrr_start - churned_mrr - contraction_mrr + expansion_mrr) / "
                           "mrr_start",
                .derive =
                    [](P& m, const Context&) noexcept {
                      if (m.mrr_start && m.churned_mrr && m.contraction_mrr && m.expansion_mrr) {
                        m.nrr = f::nrr(money(m.mrr_start), money(m.churned_mrr),
                                       money(m.contraction_mrr), money(m.expansion_mrr));
                      }
                    },
                .null_reason = no_start_revenue},
    PeriodField{.name = "arpu",
                .label = "ARPU",
                .member = &P::arpu,
                .unit = FieldUnit::money_per,
                .better = 1,
                .formula = "mrr_end / E",
                .derive =
                    [](P& m, const Context&) noexcept {
                      if (m.mrr_end && m.customers_end) {
                        m.arpu = f::arpu(money(m.mrr_end), *m.customers_end);
                      }
                    },
                .null_reason = [](const P& m) noexcept -> std::string_view {
                  return m.customers_end && *m.customers_end == 0 ? "no active customers" : "";
                }},
    PeriodField{.name = "csat",
                .label = "CSAT",
                .member = &P::csat,
                .unit = FieldUnit::percent,
                .better = 1,
                .formula = "100 csat_satisfied / csat_responses",
                .derive =
                    [](P& m, const Context&) noexcept {
                      if (m.csat_satisfied && m.csat_responses) {
                        m.csat = f::csat(*m.csat_satisfied, *m.csat_responses);
                      }
                    },
                .null_reason = [](const P& m) noexcept -> std::string_view {
                  return !m.csat_responses || *m.csat_responses == 0 ? "no csat responses" : "";
                }},
    PeriodField{.name = "cac",
                .label = "CAC",
                .member = &P::cac,
                .unit = FieldUnit::money_per,
                .better = -1,
                .formula = "acquisition_cost / N",
                .derive =
                    [](P& m, const Context&) noexcept {
                      if (m.acquisition_cost && m.new_customers) {
                        m.cac = f::cac(money(m.acquisition_cost), *m.new_customers);
                      }
                    },
                .null_reason = [](const P& m) noexcept -> std::string_view {
                  if (!m.acquisition_cost) return "the input has no acquisition_cost";
                  return m.new_customers && *m.new_customers == 0 ? "no new customers" : "";
                }},
    PeriodField{.name = "clv",
                .label = "CLV",
                .member = &P::clv,
                .unit = FieldUnit::money_per,
                .better = 1,
                .formula = "arpu gross_margin / (1 + discount_rate - r), r the monthly retention",
                .derive =
                    [](P& m, const Context& c) noexcept {
                      m.clv = clv_for_period(m.arpu, m.retention_rate, c.months, c.options);
                    },
                .null_reason = [](const P& m) noexcept -> std::string_view {
                  if (!m.arpu) return "arpu is null";
                  if (!m.retention_rate) return "retention_rate is null";
                  return "1 + discount_rate - retention_rate/100 <= 0";
                }},
    PeriodField{.name = "csat_responses",
                .label = "CSAT responses",
                .member = &P::csat_responses,
                .unit = FieldUnit::count,
                .roll_up = RollUp::sum},
    PeriodField{.name = "csat_satisfied",
                .label = "Satisfied CSAT responses",
                .member = &P::csat_satisfied,
                .unit = FieldUnit::count,
                .roll_up = RollUp::sum,
                .better = 1},
    PeriodField{.name = "acquisition_cost",
                .label = "Acquisition cost",
                .member = &P::acquisition_cost,
                .unit = FieldUnit::money,
                .roll_up = RollUp::sum},
    PeriodField{.name = "cac_payback_months",
                .label = "CAC payback (months)",
                .member = &P::cac_payback_months,
                .unit = FieldUnit::ratio,
                .better = -1,
                .formula = "cac / (arpu gross_margin)",
                .derive =
                    [](P& m, const Context& c) noexcept {
                      if (m.cac && m.arpu && *m.arpu * c.options.gross_margin != 0) {
                        m.cac_payback_months = *m.cac / (*m.arpu * c.options.gross_margin);
                      }
                    },
                .null_reason = [](const P& m) noexcept -> std::string_view {
                  return !m.cac ? "cac is null" : "arpu x gross_margin is 0 or null";
                }},
    PeriodField{.name = "ltv_cac",
                .label = "LTV:CAC",
                .member = &P::ltv_cac,
                .unit = FieldUnit::ratio,
                .better = 1,
                .formula = "clv / cac",
                .derive =
                    [](P& m, const Context&) noexcept {
                      if (m.clv && m.cac && *m.cac != 0) m.ltv_cac = *m.clv / *m.cac;
                    },
                .null_reason = [](const P& m) noexcept -> std::string_view {
                  return !m.clv ? "clv is null" : "cac is null or 0";
                }},
    PeriodField{.name = "quick_ratio",
                .label = "Quick ratio",
                .member = &P::quick_ratio,
                .unit = FieldUnit::ratio,
                .better = 1,
                .formula = "(new_mrr + expansion_mrr [+ reactivation_mrr]) / "
                           "(churned_mrr + contraction_mrr)",
                .derive =
                    [](P& m, const Context& c) noexcept {
                      const bool with_reactivation = c.options.quick_ratio_reactivation;
                      const bool gains_known = m.new_mrr && m.expansion_mrr &&
                                               (m.reactivation_mrr || !with_reactivation);
                      if (!gains_known || !m.churned_mrr || !m.contraction_mrr) return;
                      MoneySum gains = *m.new_mrr + *m.expansion_mrr;
                      if (with_reactivation) gains += *m.reactivation_mrr;
                      const MoneySum losses = *m.churned_mrr + *m.contraction_mrr;
                      if (losses != 0) m.quick_ratio = to_double(gains) / to_double(losses);
                    },
                .null_reason = [](const P&) noexcept -> std::string_view {
                  return "no churned or contraction MRR (the denominator is 0)";
                }},
    PeriodField{.name = "nps",
                .label = "NPS",
                .member = &P::nps,
                .unit = FieldUnit::points,
                .nps = true,
                .better = 1,
                .formula = "100 (nps_promoters - nps_detractors) / nps_responses",
                .derive =
                    [](P& m, const Context&) noexcept {
                      if (m.nps_promoters && m.nps_detractors && m.nps_responses) {
                        m.nps = f::nps(*m.nps_promoters, *m.nps_detractors, *m.nps_responses);
                      }
                    },
                .null_reason = no_nps},
    PeriodField{.name = "nps_responses",
                .label = "NPS responses",
                .member = &P::nps_responses,
                .unit = FieldUnit::count,
                .nps = true,
                .roll_up = RollUp::sum,
                .null_reason = no_nps},
    PeriodField{.name = "nps_promoters",
                .label = "NPS promoters",
                .member = &P::nps_promoters,
                .unit = FieldUnit::count,
                .nps = true,
                .roll_up = RollUp::sum,
                .better = 1,
                .null_reason = no_nps},
    PeriodField{.name = "nps_passives",
                .label = "NPS passives",
                .member = &P::nps_passives,
                .unit = FieldUnit::count,
                .nps = true,
                .roll_up = RollUp::sum,
                .null_reason = no_nps},
    PeriodField{.name = "nps_detractors",
                .label = "NPS detractors",
                .member = &P::nps_detractors,
                .unit = FieldUnit::count,
                .nps = true,
                .roll_up = RollUp::sum,
                .better = -1,
                .null_reason = no_nps},
};

using S = RangeSummary;
constexpr std::array kSummaryFields = {
    SummaryField{"average_churn_rate", &S::average_churn_rate},
    SummaryField{"annualized_churn_rate", &S::annualized_churn_rate},
    SummaryField{"average_grr", &S::average_grr},
    SummaryField{"average_nrr", &S::average_nrr},
    SummaryField{"total_new_customers", &S::total_new_customers},
    SummaryField{"total_churned_customers", &S::total_churned_customers},
    SummaryField{"total_new_mrr", &S::total_new_mrr},
    SummaryField{"total_churned_mrr", &S::total_churned_mrr},
};

}  // namespace

std::span<const PeriodField> period_fields() noexcept { return kFields; }

std::span<const SummaryField> summary_fields() noexcept { return kSummaryFields; }

const PeriodField* find_period_field(std::string_view name) noexcept {
  for (const PeriodField& field : kFields) {
    if (field.name == name) return &field;
  }
  return nullptr;
}

std::string_view null_reason(const PeriodField& field, const PeriodMetrics& m) noexcept {
  const std::string_view reason = field.null_reason ? field.null_reason(m) : std::string_view();
  return reason.empty() ? "not determined by the input" : reason;
}

void derive_rates(PeriodMetrics& m, const DeriveContext& context) noexcept {
  // The derived rates afresh (R and E are kept when the input gives them), then each derivation
  // in the order of the table.
  for (const PeriodField& field : kFields) {
    if (field.derive == nullptr) continue;
    if (const auto* rate = std::get_if<Rate PeriodMetrics::*>(&field.member)) (m.**rate).reset();
  }
  for (const PeriodField& field : kFields) {
    if (field.derive != nullptr) field.derive(m, context);
  }
}

void derive_rates(PeriodMetrics& m, const MetricOptions& options) noexcept {
  derive_rates(m, DeriveContext{options});
}

}  // namespace csm
