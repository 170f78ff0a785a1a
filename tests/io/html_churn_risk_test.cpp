// The churn-risk section of the HTML report: the histogram's bins worked out by hand, and the
// order and exact values of the list.

#include "csm/io/html_churn_risk.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using csm::io::ChurnRiskReport;
using csm::io::ChurnScore;
using csm::io::score_histogram;

TEST_CASE("score histogram: the smallest 1-2-5 width within 20 bins", "[io][html_churn_risk]") {
  // micro 12300, 45600, 78900: width 2000 gives 39 - 6 + 1 = 34 bins, 5000 gives 15 - 2 + 1 = 14;
  // bins from 2 x 5000: 12300 -> 0, 45600 -> 9 - 2 = 7, 78900 -> 15 - 2 = 13.
  const auto h = score_histogram({0.0123, 0.0456, 0.0789});
  CHECK(h.width == 5000);
  CHECK(h.first == 2);
  CHECK(h.counts == std::vector<std::size_t>{1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1});
  // 0 and 1: 50000 gives 21 bins, 100000 gives 11.
  const auto wide = score_histogram({1.0, 0.0});
  CHECK(wide.width == 100000);
  CHECK(wide.first == 0);
  CHECK(wide.counts == std::vector<std::size_t>{1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});
  // All equal: one bin of width 1.
  const auto same = score_histogram({0.5, 0.5});
  CHECK(same.width == 1);
  CHECK(same.first == 500000);
  CHECK(same.counts == std::vector<std::size_t>{2});
  // Binned as the JSON writes them: 0.0000004 -> "0.000000", 0.0000006 -> "0.000001".
  const auto tiny = score_histogram({0.0000004, 0.0000006});
  CHECK(tiny.width == 1);
  CHECK(tiny.counts == std::vector<std::size_t>{1, 1});
  CHECK(score_histogram({}).counts.empty());
}

TEST_CASE("churn-risk section: the top by probability, ties by id, exact values", "[io][html_churn_risk]") {
  ChurnRiskReport r;
  r.active_customers = 3;
  for (const auto& [id, p] : std::vector<std::pair<std::string, double>>{{"b", 0.25}, {"c", 0.5}, {"a", 0.25}}) {
    ChurnScore c;
    c.customer_id = id;
    c.churn_probability = p;
    r.customers.push_back(c);
  }
  const std::string html = csm::io::churn_risk_section(r, 2);
  CHECK(html.find("<section id=\"churn-risk\">") == 0);
  CHECK(html.find("<span id=\"churn-scored\">3</span>") != std::string::npos);
  CHECK(html.find("No backtest") != std::string::npos);
  // c (0.5), then a before b (0.25 each, by id); b is the third and left out.
  const auto c = html.find("<tr><td>c</td><td class=\"num\" data-value=\"0.500000\">50.0&nbsp;%</td>");
  const auto a = html.find("<tr><td>a</td><td class=\"num\" data-value=\"0.250000\">25.0&nbsp;%</td>");
  CHECK(c != std::string::npos);
  CHECK(a != std::string::npos);
  CHECK(c < a);
  CHECK(html.find("<tr><td>b</td>") == std::string::npos);
}
