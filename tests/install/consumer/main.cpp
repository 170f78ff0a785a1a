// Links the installed library and computes one formula and one money sum.
#include <cstdio>

#include "csm/decimal.hpp"
#include "csm/formulas.hpp"

int main() {
  csm::Money a = 0, b = 0;
  if (csm::parse_money("100.10", a) != csm::DecimalError::ok) return 1;
  if (csm::parse_money("0.20", b) != csm::DecimalError::ok) return 1;
  const auto churn = csm::formulas::churn_rate(5, 100);
  std::printf("sum=%s churn=%.1f\n", csm::format_money(a + b).c_str(), churn.value_or(-1));
  return 0;
}
