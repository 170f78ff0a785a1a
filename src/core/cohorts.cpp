#include "csm/cohorts.hpp"

#include "csm/formulas.hpp"

namespace csm {

namespace {

void derive(std::vector<Cohort>& cohorts) noexcept {
  for (Cohort& cohort : cohorts) {
    const MoneySum base = cohort.ages.empty() ? 0 : cohort.ages.front().revenue;
    for (CohortAge& age : cohort.ages) {
      age.logo_retention = formulas::percent(static_cast<double>(age.active_customers),
                                             static_cast<double>(cohort.customers));
      age.revenue_retention =
          base == 0 ? Rate() : formulas::percent(to_double(age.revenue), to_double(base));
    }
  }
}

}  // namespace

void derive_cohort_rates(CohortTable& table) noexcept {
  derive(table.cohorts);
  for (CohortGroup& group : table.groups) derive(group.cohorts);
}

}  // namespace csm
