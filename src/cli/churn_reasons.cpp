// A churn-risk factor in words: what a feature's value says of the customer (churn_reasons.hpp).

#include "cli/churn_reasons.hpp"

#include <cmath>
#include <cstdio>

namespace csm::cli {
namespace {

std::string num(double x, int decimals) {
  char b[48];
  std::snprintf(b, sizeof b, "%.*f", decimals, x);
  std::string s = b;
  if (s.find('.') != std::string::npos) {
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  return s == "-0" ? "0" : s;
}
std::string plural(double n, const char* one, const char* many) {
  return num(n, 0) + " " + (std::abs(n - 1) < 1e-9 ? one : many);
}

}  // namespace

std::string feature_in_words(const FeatureInfo& f, float value) {
  using K = FeatureInfo::Kind;
  const bool missing = std::isnan(value);
  const double v = value;
  const std::string& s = f.subject;
  auto change = [&](const std::string& what, const std::string& span) {
    if (missing) return what + ": no comparison " + span;
    if (std::abs(v) < 0.5) return what + " unchanged " + span;
    return what + (v < 0 ? " fell " : " rose ") + num(std::abs(v), 0) + " % " + span;
  };
  switch (f.kind) {
    case K::tenure:
      return (v <= 6 ? "customer for only " : "customer for ") + plural(v, "month", "months");
    case K::revenue:
      return "revenue " + num(v, 2) + " a month";
    case K::revenue_change:
      return change("revenue", "over " + plural(f.months, "month", "months"));
    case K::largest_drop:
      return v > 0 ? "revenue dropped " + num(v, 0) + " % in one month (last 6 months)"
                   : "no revenue drop in the last 6 months";
    case K::months_inactive:
      return v > 0 ? plural(v, "month", "months") + " without revenue before"
                   : "never a month without revenue";
    case K::reactivations:
      return v > 0 ? "came back after a gap " + plural(v, "time", "times")
                   : "never came back after a gap";
    case K::months_since_return:
      return missing ? "never came back after a gap"
                     : "came back after a gap " + plural(v, "month", "months") + " ago";
    case K::plan_changes:
      return "revenue changed " + plural(v, "time", "times") + " in 12 months";
    case K::months_at_revenue:
      return "same revenue for " + plural(v, "month", "months");
    case K::csat_latest:
      return missing ? "no CSAT answer yet" : "latest CSAT " + num(v, 1);
    case K::csat_lowest:
      return missing ? "no CSAT answer in 6 months" : "CSAT as low as " + num(v, 0) + " in 6 months";
    case K::csat_count:
      return v > 0 ? plural(v, "CSAT answer", "CSAT answers") + " so far" : "no CSAT answer yet";
    case K::months_since_csat:
      return missing ? "no CSAT answer yet"
                     : "last CSAT answer " + plural(v, "month", "months") + " ago";
    case K::signal_level:
      return missing ? "no " + s + " observed this month" : s + " " + num(v, 2) + " this month";
    case K::signal_change:
      return f.months == 1 ? change(s, "over 1 month") : change(s, "vs prior 3 months");
    case K::signal_trend:
      if (missing) return s + ": too few months for a trend";
      return s + (v < 0 ? " trending down " : " trending up ") + num(std::abs(v), 0) +
             " % a month";
    case K::segment:
      return v > 0 ? "segment " + s : "not in segment " + s;
    case K::nps_latest:
      return missing ? "no NPS answer yet" : "latest NPS answer " + num(v, 1);
    case K::nps_lowest:
      return missing ? "no NPS answer in 6 months" : "NPS answer as low as " + num(v, 0) + " in 6 months";
    case K::nps_count:
      return v > 0 ? plural(v, "NPS answer", "NPS answers") + " so far" : "no NPS answer yet";
  }
  return f.name;
}

}  // namespace csm::cli
