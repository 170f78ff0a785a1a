#include "csm/cohorts.hpp"

#include "csm/formulas.hpp"

namespace csm {

void derive_cohort_rates(CohortTable& table) noexcept {
  for (Cohort& cohort : table.cohorts) {
    const MoneySum base = cohort.ages.empty() ? 0 : cohort.ages.front().revenue;
    for (CohortAge& age : cohort.ages) {
      age.logo_retention = formulas::percent(static_cast<double>(age.active_customers),
                                             static_cast<double>(cohort.customers));
      age.revenue_retention =
          base == 0 ? Rate() : formulas::percent(to_double(age.revenue), to_double(base));
    }
  }
}

}  // namespace csm
