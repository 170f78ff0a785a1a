// --fail-if expressions: parsing (with the position of each error) and evaluation over periods.
// Expected values worked out by hand in the comments.

#include "csm/thresholds.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>


using csm::CompareOp;
using csm::FieldKind;
using csm::PeriodMetrics;
using csm::Threshold;
using csm::ThresholdCheck;
using csm::ThresholdError;
using csm::ThresholdScope;
using csm::ThresholdSeries;
using csm::YearMonth;

namespace {

constexpr csm::Money kUnit = 1'000'000;

// The error a malformed expression throws (fails the test if none is thrown).
ThresholdError error_of(std::string_view expression) {
  try {
    csm::parse_threshold(expression);
  } catch (const ThresholdError& e) {
    return e;
  }
  FAIL("no error for " << expression);
  return ThresholdError("", 0, 0);
}

PeriodMetrics month(int m, std::optional<double> churn, csm::Amount mrr_end, csm::Count end) {
  PeriodMetrics p;
  p.period = YearMonth::from(2024, m);
  p.churn_rate = churn;
  p.customers_start = churn ? 10 : 0;
  p.mrr_end = mrr_end;
  p.customers_end = end;
  return p;
}

}  // namespace

TEST_CASE("thresholds: FIELD OP NUMBER with spaces optional, every operator", "[core][thresholds]") {
  const Threshold a = csm::parse_threshold("churn_rate > 5");
  CHECK(a.field == "churn_rate");
  CHECK(a.op == CompareOp::greater);
  CHECK(a.kind == FieldKind::rate);
  CHECK(a.limit == 5.0);
  CHECK_FALSE(a.summary);
  CHECK(a.expression == "churn_rate > 5");

  const Threshold b = csm::parse_threshold("  nrr<=99.5 ");
  CHECK(b.expression == "nrr<=99.5");
  CHECK(b.op == CompareOp::less_equal);
  CHECK(b.limit == 99.5);

  CHECK(csm::parse_threshold("grr<90").op == CompareOp::less);
  CHECK(csm::parse_threshold("grr>=90").op == CompareOp::greater_equal);
  CHECK(csm::parse_threshold("grr == 90").op == CompareOp::equal);
  CHECK(csm::parse_threshold("grr != 90").op == CompareOp::not_equal);
  // Field names match case-insensitively and are kept in their canonical spelling.
  CHECK(csm::parse_threshold("Churn_Rate>1").field == "churn_rate");
  CHECK(csm::parse_threshold("csat > -1").limit == -1.0);
  CHECK(csm::parse_threshold("csat > +.5").limit == 0.5);
}

TEST_CASE("thresholds: counts and money get exact limits", "[core][thresholds]") {
  const Threshold money = csm::parse_threshold("churned_mrr > 100.30");
  CHECK(money.kind == FieldKind::money);
  CHECK(money.exact_limit == 100'300'000);
  CHECK(csm::limit_text(money) == "100.30");

  const Threshold count = csm::parse_threshold("churned_customers >= 3");
  CHECK(count.kind == FieldKind::count);
  CHECK(count.exact_limit == 3 * kUnit);
  CHECK(csm::limit_text(count) == "3");
  CHECK(csm::limit_text(csm::parse_threshold("new_customers < 2.5")) == "2.50");
  CHECK(csm::limit_text(csm::parse_threshold("churn_rate > 5.0")) == "5");
  CHECK(csm::parse_threshold("mrr_end < -0.000001").exact_limit == -1);
}

TEST_CASE("thresholds: summary fields", "[core][thresholds]") {
  const Threshold t = csm::parse_threshold("summary.average_churn_rate > 3");
  CHECK(t.summary);
  CHECK(t.field == "summary.average_churn_rate");
  CHECK(t.kind == FieldKind::rate);
  CHECK(csm::parse_threshold("summary.total_new_mrr < 10").kind == FieldKind::money);
  CHECK(csm::parse_threshold("summary.total_churned_customers < 10").kind == FieldKind::count);
}

TEST_CASE("thresholds: errors point at the problem", "[core][thresholds]") {
  SECTION("empty") { CHECK(error_of("   ").position() == 0); }
  SECTION("no field") {
    const ThresholdError e = error_of("> 5");
    CHECK(std::string(e.what()) == "expected a field name, e.g. churn_rate");
    CHECK(e.position() == 0);
  }
  SECTION("unknown field, with the nearest name") {
    const ThresholdError e = error_of("churn_rat > 5");
    CHECK(std::string(e.what()) == "unknown field \"churn_rat\"");
    CHECK(e.position() == 0);
    CHECK(e.length() == 9);
    CHECK(e.suggestion() == "churn_rate");
  }
  SECTION("a summary field without its prefix") {
    CHECK(error_of("average_nrr < 100").suggestion() == "summary.average_nrr");
  }
  SECTION("nothing near") { CHECK(error_of("zzzzzzzzzzzzzzzzzzzz > 1").suggestion().empty()); }
  SECTION("period is text, not a number") { CHECK(error_of("period > 5").position() == 0); }
  SECTION("missing operator") {
    const ThresholdError e = error_of("churn_rate 5");
    CHECK(e.position() == 11);  // "churn_rate " is 11 characters
  }
  SECTION("a single =") {
    const ThresholdError e = error_of("churn_rate = 5");
    CHECK(std::string(e.what()).find("for equality write ==") != std::string::npos);
    CHECK(e.position() == 11);
  }
  SECTION("no number") {
    const ThresholdError e = error_of("churn_rate >");
    CHECK(std::string(e.what()) == "expected a number after \">\"");
    CHECK(e.position() == 12);
  }
  SECTION("not a plain number") {
    for (const char* bad : {"churn_rate > 5%", "churn_rate > 1e3", "churn_rate > nan",
                            "churn_rate >> 5", "churn_rate > .", "churn_rate > 5 5"}) {
      CAPTURE(bad);
      const ThresholdError e = error_of(bad);
      CHECK(std::string(e.what()).starts_with("expected a number such as 5 or 2.5"));
      CHECK(e.position() == std::string_view(bad).find_first_of("0123456789n.>", 12));
    }
  }
  SECTION("money: more than 6 decimals, too large") {
    const ThresholdError e = error_of("mrr_end > 1.0000001");
    CHECK(std::string(e.what()) == "at most 6 decimal places in a limit");
    CHECK(e.position() == 10);
    CHECK(e.length() == 9);
    CHECK(std::string(error_of("mrr_end > 99999999999999").what()).starts_with("limit too large"));
  }
}

TEST_CASE("thresholds: every field name parses", "[core][thresholds]") {
  // 30 period fields (27 of the first slice + 3 unit economics) + 5 NPS fields + 8 summary fields.
  CHECK(csm::threshold_field_names().size() == 30 + 5 + 8);  // period fields + summary fields
  for (const std::string& name : csm::threshold_field_names()) {
    CHECK_NOTHROW(csm::parse_threshold(name + " > 0"));
  }
}

TEST_CASE("thresholds: the compute table's headings name their fields", "[core][thresholds]") {
  // Written out here, from the table's header line (period active new react churn churn% mrr
  // nrr% arpu csat%) and docs/metrics.md, not taken from threshold_heading_names().
  const std::pair<const char*, const char*> expected[] = {
      {"active", "customers_end"}, {"new", "new_customers"}, {"react", "reactivated_customers"},
      {"churn", "churned_customers"}, {"churned", "churned_customers"}, {"churn%", "churn_rate"},
      {"mrr", "mrr_end"}, {"nrr%", "nrr"}, {"arpu", "arpu"}, {"csat%", "csat"}, {"MRR", "mrr_end"}};
  for (const auto& [heading, field] : expected) {
    CAPTURE(heading);
    const csm::Threshold t = csm::parse_threshold(std::string(heading) + " < 5");
    CHECK(t.field == field);
    CHECK(t.expression == std::string(heading) + " < 5");
  }
  CHECK(csm::parse_threshold("churn%>5").field == "churn_rate");
  // Did-you-mean covers the headings as well as the JSON names.
  CHECK(error_of("chrn% > 1").suggestion() == "churn%");
  CHECK(error_of("activ < 3").suggestion() == "active");
  CHECK(error_of("mrr_ed < 3").suggestion() == "mrr_end");
  // '%' ends a name: "churn_rate%" is not a field.
  CHECK(std::string(error_of("churn_rate% > 1").what()).starts_with("unknown field"));
}

TEST_CASE("thresholds: latest checks the last period, all checks every one", "[core][thresholds]") {
  const std::vector<PeriodMetrics> periods = {
      month(1, std::nullopt, 0, 0),            // first month: S = 0, churn null
      month(2, 6.25, 300 * kUnit, 3),          // 6.25 > 5
      month(3, 5.0, 100'300'000, 2)};          // 5 is not > 5
  const ThresholdSeries whole{"", periods, csm::summarize(periods)};
  const std::vector<Threshold> t = {csm::parse_threshold("churn_rate > 5")};

  const auto latest = csm::evaluate_thresholds(t, {whole}, ThresholdScope::latest);
  REQUIRE(latest.size() == 1);
  CHECK(latest[0].period == YearMonth::from(2024, 3));
  CHECK(latest[0].value == "5");
  CHECK_FALSE(latest[0].crossed);

  const auto all = csm::evaluate_thresholds(t, {whole}, ThresholdScope::all);
  REQUIRE(all.size() == 3);
  CHECK_FALSE(all[0].value.has_value());
  CHECK_FALSE(all[0].crossed);  // null never crosses
  CHECK(all[0].null_reason == "no customers at start");
  CHECK(all[1].crossed);
  CHECK(all[1].value == "6.25");
  CHECK_FALSE(all[2].crossed);

  // >= crosses at equality.
  const auto ge = csm::evaluate_thresholds({csm::parse_threshold("churn_rate >= 5")}, {whole},
                                           ThresholdScope::latest);
  CHECK(ge[0].crossed);
}

TEST_CASE("thresholds: money and counts compare exactly", "[core][thresholds]") {
  // 100.10 + 0.20 = 100.30 exactly; as doubles 100.1 + 0.2 = 100.30000000000001.
  const std::vector<PeriodMetrics> periods = {month(1, 0.0, 100'100'000 + 200'000, 2)};
  const ThresholdSeries whole{"", periods, csm::summarize(periods)};
  const auto check = [&](const char* expression) {
    const auto r = csm::evaluate_thresholds({csm::parse_threshold(expression)}, {whole},
                                            ThresholdScope::latest);
    REQUIRE(r.size() == 1);
    return r[0].crossed;
  };
  CHECK(check("mrr_end == 100.30"));
  CHECK_FALSE(check("mrr_end > 100.3"));
  CHECK(check("mrr_end > 100.299999"));
  CHECK_FALSE(check("mrr_end != 100.3"));
  CHECK(check("customers_end < 2.5"));   // 2 < 2.5
  CHECK_FALSE(check("customers_end > 2"));
  CHECK(check("customers_end == 2"));
  const auto r = csm::evaluate_thresholds({csm::parse_threshold("mrr_end < 1")}, {whole},
                                          ThresholdScope::latest);
  CHECK(r[0].value == "100.30");
}

TEST_CASE("thresholds: summary fields once per series, groups keep their label",
          "[core][thresholds]") {
  const std::vector<PeriodMetrics> a = {month(1, std::nullopt, 0, 0), month(2, 4.0, 0, 1),
                                        month(3, 2.0, 0, 1)};
  const std::vector<PeriodMetrics> b = {month(1, 10.0, 0, 1)};
  // Average churn: a = (4 + 2) / 2 = 3 (the null month is left out); b = 10.
  const std::vector<ThresholdSeries> series = {{"smb", a, csm::summarize(a)},
                                               {"ent", b, csm::summarize(b)}};
  const std::vector<Threshold> t = {csm::parse_threshold("summary.average_churn_rate > 3"),
                                    csm::parse_threshold("churn_rate >= 2")};
  const auto r = csm::evaluate_thresholds(t, series, ThresholdScope::all);
  // smb: 1 summary + 3 periods; ent: 1 summary + 1 period.
  REQUIRE(r.size() == 6);
  CHECK(r[0].group == "smb");
  CHECK_FALSE(r[0].period.has_value());
  CHECK(r[0].value == "3");
  CHECK_FALSE(r[0].crossed);
  CHECK(r[1].period == YearMonth::from(2024, 1));
  CHECK_FALSE(r[1].crossed);
  CHECK(r[2].crossed);
  CHECK(r[3].crossed);
  CHECK(r[4].group == "ent");
  CHECK(r[4].crossed);
  CHECK(r[5].crossed);

  // A summary field that is null: average over no defined month.
  const std::vector<PeriodMetrics> none = {month(1, std::nullopt, 0, 0)};
  const auto n = csm::evaluate_thresholds({csm::parse_threshold("summary.average_nrr < 100")},
                                          {{"", none, csm::summarize(none)}}, ThresholdScope::latest);
  REQUIRE(n.size() == 1);
  CHECK_FALSE(n[0].value.has_value());
  CHECK_FALSE(n[0].crossed);
  CHECK(n[0].null_reason == "no month with a defined value");
}

TEST_CASE("thresholds: group fields (moves between groups) apply to groups only", "[core][thresholds]") {
  const Threshold in = csm::parse_threshold("Moved_In_Customers > 0");
  CHECK(in.field == "moved_in_customers");
  CHECK(in.group_only);
  CHECK(in.kind == FieldKind::count);
  const Threshold mrr = csm::parse_threshold("moved_out_mrr >= 99.5");
  CHECK(mrr.group_only);
  CHECK(mrr.kind == FieldKind::money);
  CHECK(mrr.exact_limit == 99'500'000);
  CHECK_FALSE(csm::parse_threshold("churn_rate > 5").group_only);
  CHECK(csm::group_threshold_field_names() ==
        std::vector<std::string>{"moved_in_customers", "moved_out_customers", "moved_in_mrr", "moved_out_mrr"});
  CHECK(csm::nearest_field_name("moved_in_customer") == "moved_in_customers");
  CHECK(csm::nearest_field_name("moved_out_mr") == "moved_out_mrr");

  // Two months of one group: 2024-01 nobody moved; 2024-02 one customer with 100.00 came in from
  // another group, none left.
  const std::vector<PeriodMetrics> periods = {month(1, std::nullopt, 0, 1), month(2, 0.0, 0, 2)};
  std::vector<csm::GroupMoves> moves(2);
  moves[1].moved_in_customers = 1;
  moves[1].moved_in_mrr = 100 * kUnit;
  const std::vector<ThresholdSeries> series = {{"", periods, csm::summarize(periods), {}},
                                               {"pro", periods, csm::summarize(periods), moves}};
  // All customers have no moves: no check for them, only for the group.
  const auto latest = csm::evaluate_thresholds({in, mrr}, series, ThresholdScope::latest);
  REQUIRE(latest.size() == 2);
  CHECK(latest[0].group == "pro");
  CHECK(latest[0].period == YearMonth::from(2024, 2));
  CHECK(latest[0].value == "1");
  CHECK(latest[0].crossed);  // 1 > 0
  CHECK(latest[1].value == "0.00");
  CHECK_FALSE(latest[1].crossed);  // 0.00 >= 99.5 does not hold
  const auto all = csm::evaluate_thresholds({csm::parse_threshold("moved_in_mrr == 100")}, series,
                                            ThresholdScope::all);
  REQUIRE(all.size() == 2);
  CHECK(all[0].period == YearMonth::from(2024, 1));
  CHECK_FALSE(all[0].crossed);  // 0.00
  CHECK(all[1].value == "100.00");
  CHECK(all[1].crossed);        // exactly 100.00
}

TEST_CASE("thresholds: null reasons name the zero denominator", "[core][thresholds]") {
  PeriodMetrics m;
  m.period = YearMonth::from(2024, 5);
  m.customers_start = 4;
  m.mrr_start = 0;
  m.customers_end = 0;
  m.new_customers = 0;
  m.csat_responses = 0;
  m.acquisition_cost = 50 * kUnit;
  const std::vector<PeriodMetrics> periods = {m};
  const ThresholdSeries whole{"", periods, csm::summarize(periods)};
  const auto reason = [&](const char* expression) {
    const auto r = csm::evaluate_thresholds({csm::parse_threshold(expression)}, {whole},
                                            ThresholdScope::latest);
    REQUIRE(r.size() == 1);
    CHECK_FALSE(r[0].crossed);
    return r[0].null_reason;
  };
  CHECK(reason("nrr < 100") == "no revenue at start (mrr_start is 0)");
  CHECK(reason("arpu < 1") == "no active customers");
  CHECK(reason("csat < 80") == "no csat responses");
  CHECK(reason("cac > 1") == "no new customers");
  CHECK(reason("clv < 1") == "arpu is null");
}
