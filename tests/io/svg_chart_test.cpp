#include "csm/io/svg_chart.hpp"

#include <catch2/catch.hpp>
#include <map>
#include <regex>
#include <string>
#include <vector>

namespace {

using namespace csm::io::svg;

// Every start tag has its end tag, in order (self-closing tags count as both).
bool tags_balanced(const std::string& xml) {
  static const std::regex tag(R"(<(/?)([A-Za-z][A-Za-z0-9-]*)[^>]*?(/?)>)");
  std::vector<std::string> open;
  for (auto it = std::sregex_iterator(xml.begin(), xml.end(), tag); it != std::sregex_iterator(); ++it) {
    const std::smatch& m = *it;
    if (m[3].length() > 0) continue;
    if (m[1].length() == 0) {
      open.push_back(m[2]);
    } else {
      if (open.empty() || open.back() != m[2]) return false;
      open.pop_back();
    }
  }
  return open.empty();
}

// The attributes of every <rect> that carries a <title> (the data bars, not the legend swatches),
// keyed by the title text.
std::map<std::string, std::map<std::string, std::string>> data_rects(const std::string& svg) {
  static const std::regex rect(R"(<rect ([^>]*)><title>([^<]*)</title></rect>)");
  static const std::regex attribute(R"re(([a-z-]+)="([^"]*)")re");
  std::map<std::string, std::map<std::string, std::string>> found;
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), rect); it != std::sregex_iterator(); ++it) {
    const std::string attributes = (*it)[1];
    auto& entry = found[(*it)[2]];
    for (auto a = std::sregex_iterator(attributes.begin(), attributes.end(), attribute);
         a != std::sregex_iterator(); ++a) {
      entry[(*a)[1]] = (*a)[2];
    }
  }
  return found;
}

std::vector<std::string> line_paths(const std::string& svg) {
  static const std::regex path(R"re(<path class="line" d="([^"]*)")re");
  std::vector<std::string> found;
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), path); it != std::sregex_iterator(); ++it) {
    found.push_back((*it)[1]);
  }
  return found;
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
  return n;
}

}  // namespace

TEST_CASE("nice_number picks 1, 2, 5 or 10 times a power of ten", "[svg]") {
  // round: nearest (cut-offs 1.5, 3, 7); not round: smallest nice number >= x.
  CHECK(nice_number(23, true) == Approx(20));    // 2.3 < 3 -> 2
  CHECK(nice_number(23, false) == Approx(50));   // 2 < 2.3 <= 5 -> 5
  CHECK(nice_number(150, true) == Approx(200));  // 1.5 is not < 1.5 -> 2
  CHECK(nice_number(0.7, false) == Approx(1));   // 7 > 5 -> 10 x 0.1
  CHECK(nice_number(0.7, true) == Approx(1));    // 7 is not < 7 -> 10 x 0.1
  CHECK(nice_number(1, false) == Approx(1));
  CHECK(nice_number(0, true) == 1);  // not a positive number: 1
}

TEST_CASE("nice_ticks: round numbers covering the data, worked by hand", "[svg]") {
  SECTION("0 .. 9.3: range nice(9.3) = 10, step nice(10/4 = 2.5, round) = 2") {
    const Ticks t = nice_ticks(0, 9.3);
    CHECK(t.values == std::vector<double>{0, 2, 4, 6, 8, 10});
    CHECK(t.step == Approx(2));
    CHECK(t.decimals == 0);
  }
  SECTION("95.8 .. 108.9 (a retention chart): range nice(13.1) = 20, step nice(5) = 5") {
    const Ticks t = nice_ticks(95.8, 108.9);
    CHECK(t.values == std::vector<double>{95, 100, 105, 110});
  }
  SECTION("0 .. 0.37: step nice(0.5/4 = 0.125) = 0.1; values exact, not 0.30000000000000004") {
    const Ticks t = nice_ticks(0, 0.37);
    REQUIRE(t.values.size() == 5);
    CHECK(t.values[3] == 0.3);
    CHECK(t.values.back() == 0.4);
    CHECK(t.decimals == 1);
  }
  SECTION("-3 .. 22 (bars below zero): range nice(25) = 50, step nice(12.5) = 10") {
    const Ticks t = nice_ticks(-3, 22);
    CHECK(t.values == std::vector<double>{-10, 0, 10, 20, 30});
  }
  SECTION("a flat series 5 .. 5 gets 5 +- nice(5)/10 = 4.5 .. 5.5, step 0.2") {
    const Ticks t = nice_ticks(5, 5);
    CHECK(t.min == Approx(4.4));
    CHECK(t.max == Approx(5.6));
    CHECK(t.values.size() == 7);
  }
  SECTION("0 .. 0 and non-finite input give 0 .. 1") {
    CHECK(nice_ticks(0, 0).values == std::vector<double>{0, 0.2, 0.4, 0.6, 0.8, 1});
    CHECK(nice_ticks(std::nan(""), std::nan("")).max == 1);
  }
  SECTION("counts: whole-number steps only (no 0.2 of a customer)") {
    // 0 .. 1: range nice(1) = 1, step nice(0.25) = 0.2 -> raised to 1: 0, 1.
    CHECK(nice_ticks(0, 1, 5, true).values == std::vector<double>{0, 1});
    CHECK(nice_ticks(0, 0, 5, true).values == std::vector<double>{0, 1});
    // 0 .. 2: step nice(0.5) = 0.5 -> 1: 0, 1, 2.
    CHECK(nice_ticks(0, 2, 5, true).values == std::vector<double>{0, 1, 2});
    // 5 .. 5: 4.5 .. 5.5, step 1: 4, 5, 6.
    CHECK(nice_ticks(5, 5, 5, true).values == std::vector<double>{4, 5, 6});
    // Wide ranges keep their round steps: 0 .. 22 -> step 5 either way.
    CHECK(nice_ticks(0, 22, 5, true).values == nice_ticks(0, 22).values);
    CHECK(nice_ticks(0, 1, 5, true).decimals == 0);
  }
  SECTION("always covers lo and hi with evenly spaced values") {
    for (const auto& [lo, hi] : std::vector<std::pair<double, double>>{
             {0, 1}, {3, 97}, {-1234, 98765}, {0.001, 0.0047}, {100, 100.5}, {17, 3}}) {
      const Ticks t = nice_ticks(lo, hi);
      CHECK(t.min <= std::min(lo, hi));
      CHECK(t.max >= std::max(lo, hi));
      REQUIRE(t.values.size() >= 2);
      for (std::size_t i = 1; i < t.values.size(); ++i) {
        CHECK(t.values[i] - t.values[i - 1] == Approx(t.step));
      }
    }
  }
}

TEST_CASE("escape makes input text safe in XML and HTML", "[svg]") {
  CHECK(escape("<script>&\"'") == "&lt;script&gt;&amp;&quot;&#39;");
  CHECK(escape("plain text") == "plain text");
  CHECK(escape("caf\xc3\xa9") == "caf\xc3\xa9");                  // valid UTF-8 kept
  CHECK(escape("a\xff" "b") == "a\xef\xbf\xbd" "b");              // invalid byte -> U+FFFD
  CHECK(escape(std::string("a\0b", 3)) == "a\xef\xbf\xbd" "b");   // NUL -> U+FFFD
  CHECK(escape("a\x01" "b\tc") == "a\xef\xbf\xbd" "b\tc");        // XML forbids U+0001, allows tab
}

TEST_CASE("format_number groups thousands and uses a real minus sign", "[svg]") {
  CHECK(format_number(1234567.891, 2) == "1,234,567.89");
  CHECK(format_number(999.999, 2) == "1,000.00");
  CHECK(format_number(-1234.5, 1) == "\xe2\x88\x92" "1,234.5");
  CHECK(format_number(-0.04, 1) == "0.0");  // rounds to zero: no sign
  CHECK(format_value(12.34, Unit::percent) == "12.3%");
  CHECK(format_value(9916, Unit::money) == "9,916.00");
  CHECK(format_value(34, Unit::count) == "34");
}

TEST_CASE("waterfall_layout: each step starts at the running level", "[svg]") {
  // 100 + 20 + 5 + 10 - 15 - 30 = 90.
  const std::vector<WaterfallStep> steps = {
      {"start", 100, StepKind::total},      {"new", 20, StepKind::increase},
      {"reactivation", 5, StepKind::increase}, {"expansion", 10, StepKind::increase},
      {"contraction", 15, StepKind::decrease}, {"churned", 30, StepKind::decrease},
      {"end", 90, StepKind::total}};
  const std::vector<WaterfallBar> bars = waterfall_layout(steps);
  const std::vector<std::pair<double, double>> expected = {{0, 100},   {100, 120}, {120, 125}, {125, 135},
                                                           {135, 120}, {120, 90},  {0, 90}};
  REQUIRE(bars.size() == expected.size());
  for (std::size_t i = 0; i < bars.size(); ++i) {
    CHECK(bars[i].from == expected[i].first);
    CHECK(bars[i].to == expected[i].second);
  }

  SECTION("bar heights in pixels") {
    // Data 0 .. 135 -> ticks 0 .. 150 (range nice(135) = 200, step nice(50) = 50). A 300 px
    // plot gives 2 px per unit; y(v) = 40 + 2 (150 - v).
    Waterfall chart;
    chart.text = {"w", "MRR bridge", "test"};
    chart.steps = steps;
    const Frame frame{720, 388, 70, 16, 40, 48};
    const std::string svg = waterfall(chart, frame);
    const auto rects = data_rects(svg);
    REQUIRE(rects.size() == 7);
    CHECK(rects.at("start: 100.00").at("y") == "140.0");  // 40 + 2 (150 - 100)
    CHECK(rects.at("start: 100.00").at("height") == "200.0");
    CHECK(rects.at("new: +20.00").at("y") == "100.0");  // top at 120
    CHECK(rects.at("new: +20.00").at("height") == "40.0");
    CHECK(rects.at("expansion: +10.00").at("y") == "70.0");  // top at 135
    CHECK(rects.at("contraction: \xe2\x88\x92" "15.00").at("y") == "70.0");  // 135 down to 120
    CHECK(rects.at("contraction: \xe2\x88\x92" "15.00").at("height") == "30.0");
    CHECK(rects.at("churned: \xe2\x88\x92" "30.00").at("height") == "60.0");
    CHECK(rects.at("end: 90.00").at("y") == "160.0");  // 40 + 2 (150 - 90)
    CHECK(rects.at("end: 90.00").at("height") == "180.0");
    // Increases and decreases differ in colour and in the sign of their label.
    CHECK(rects.at("new: +20.00").at("fill") != rects.at("churned: \xe2\x88\x92" "30.00").at("fill"));
    CHECK(svg.find(">+20.00</text>") != std::string::npos);
    CHECK(count(svg, "class=\"connector\"") == 6);
    CHECK(tags_balanced(svg));
  }
}

TEST_CASE("line_chart: nulls are gaps, not zeros", "[svg]") {
  LineChart chart;
  chart.text = {"c", "Churn", "test"};
  chart.categories = {"2025-01", "2025-02", "2025-03", "2025-04"};
  chart.series = {{"churn_rate", {1.0, std::nullopt, 3.0, 4.0}, ""}};
  chart.unit = Unit::percent;
  chart.y_label = "percent (%)";
  // Plot 400 x 300 at x 20: bands of 100, centres 70, 170, 270, 370. Ticks 1 .. 4 (range
  // nice(3) = 5, step nice(1.25) = 1), so y(v) = 300 (4 - v) / 3.
  const Frame frame{420, 300, 20, 0, 0, 0};
  const std::string svg = line_chart(chart, frame);
  const auto paths = line_paths(svg);
  REQUIRE(paths.size() == 1);
  // Two pieces: the lone first value, then 2025-03 to 2025-04; nothing at 2025-02.
  CHECK(paths[0] == "M70.0 300.0 M270.0 100.0L370.0 0.0");
  CHECK(count(svg, "class=\"marker\"") == 3);
  CHECK(svg.find("2025-02: ") == std::string::npos);
  CHECK(tags_balanced(svg));

  SECTION("a lone value keeps its marker when markers are off (more than 40 months)") {
    LineChart many = chart;
    many.categories.assign(41, "m");
    many.series = {{"s", std::vector<std::optional<double>>(41, std::nullopt), ""}};
    many.series[0].values[5] = 2;   // alone
    many.series[0].values[10] = 2;  // a run of two: no markers
    many.series[0].values[11] = 3;
    const std::string out = line_chart(many);
    CHECK(count(out, "class=\"marker\"") == 1);
  }
  SECTION("all null: no line, a 'no data' note") {
    LineChart empty = chart;
    empty.series = {{"csat", {std::nullopt, std::nullopt, std::nullopt, std::nullopt}, ""}};
    const std::string out = line_chart(empty);
    CHECK(line_paths(out).empty());
    CHECK(out.find(">no data</text>") != std::string::npos);
  }
}

TEST_CASE("line_chart: axis labelled with units, ticks round, text alternatives", "[svg]") {
  LineChart chart;
  chart.text = {"retention", "Retention", "Latest 96.9%."};
  chart.categories = {"2025-01", "2025-02", "2025-03"};
  chart.series = {{"retention_rate", {std::nullopt, 95.8, 100.0}, ""}, {"nrr", {std::nullopt, 108.9, 100.0}, ""}};
  chart.unit = Unit::percent;
  chart.y_label = "percent (%)";
  chart.x_label = "month";
  const std::string svg = line_chart(chart);
  CHECK(svg.find("class=\"axis-title\" x=\"387.0\" y=\"286.0\" text-anchor=\"middle\">month</text>") !=
        std::string::npos);  // centred under the plot: 70 + 634 / 2; 252 + 34
  CHECK(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0) == 0);
  CHECK(svg.find("role=\"img\"") != std::string::npos);
  CHECK(svg.find("aria-label=\"Retention\"") != std::string::npos);
  CHECK(svg.find("<title>Retention</title>") != std::string::npos);
  CHECK(svg.find("<desc id=\"retention-desc\">Latest 96.9%.</desc>") != std::string::npos);
  CHECK(svg.find(">percent (%)</text>") != std::string::npos);
  for (const char* tick : {">95%<", ">100%<", ">105%<", ">110%<"}) CHECK(svg.find(tick) != std::string::npos);
  // Two series: different colours and different dash patterns (not colour alone).
  CHECK(svg.find("stroke=\"#0072B2\"") != std::string::npos);
  CHECK(svg.find("stroke=\"#D55E00\" stroke-width=\"2\" fill=\"none\" stroke-dasharray=\"7 4\"") !=
        std::string::npos);
  CHECK(tags_balanced(svg));
}

TEST_CASE("stacked_bars: up series stack above zero, down series below", "[svg]") {
  StackedBars chart;
  chart.text = {"b", "Customers", "test"};
  chart.categories = {"2025-01", "2025-02"};
  chart.up = {{"retained", {2.0, 3.0}, ""}, {"new", {1.0, std::nullopt}, ""}};
  chart.down = {{"churned", {1.0, 2.0}, ""}};
  // Stacks reach 3 (2 + 1, and 3) and -2 -> ticks -2 .. 3 (range nice(5) = 5, step nice(1.25) = 1).
  // A 50 px plot: 10 px per unit, y(v) = 10 (3 - v). Bands of 100, bars 70 wide at 15 and 115.
  const Frame frame{200, 50, 0, 0, 0, 0};
  const std::string svg = stacked_bars(chart, frame);
  const auto rects = data_rects(svg);
  REQUIRE(rects.size() == 5);  // the null draws nothing
  CHECK(rects.at("2025-01 retained: 2").at("y") == "10.0");
  CHECK(rects.at("2025-01 retained: 2").at("height") == "20.0");
  CHECK(rects.at("2025-01 new: 1").at("y") == "0.0");  // on top of retained: 2 .. 3
  CHECK(rects.at("2025-01 new: 1").at("height") == "10.0");
  CHECK(rects.at("2025-01 churned: 1").at("y") == "30.0");  // 0 down to -1
  CHECK(rects.at("2025-01 churned: 1").at("height") == "10.0");
  CHECK(rects.at("2025-02 retained: 3").at("x") == "115.0");
  CHECK(rects.at("2025-02 retained: 3").at("height") == "30.0");
  CHECK(rects.at("2025-02 churned: 2").at("height") == "20.0");
  CHECK(svg.find(">churned (below 0)</text>") != std::string::npos);
  CHECK(svg.find(">\xe2\x88\x92" "2<") != std::string::npos);  // the tick below zero
  CHECK(tags_balanced(svg));
}

TEST_CASE("heat_map: a cell per value, hatched where there is none", "[svg]") {
  HeatMap chart;
  chart.text = {"h", "Cohorts", "test"};
  chart.row_labels = {"2025-01", "2025-02", "2025-03"};
  chart.column_labels = {"0", "1", "2"};
  chart.cells = {{100.0, 50.0, 0.0}, {100.0, std::nullopt, 40.0}, {100.0}};
  const std::string svg = heat_map(chart);
  const auto rects = data_rects(svg);
  CHECK(rects.size() == 9);  // the 3 x 3 grid: 6 values, the null and the 2 missing cells
  CHECK(rects.at("2025-01, 0: 100.0%").at("fill") == "#08306b");  // share 1: the darkest stop
  CHECK(rects.at("2025-01, 1: 50.0%").at("fill") == "#6baed6");   // share 0.5: the middle stop
  CHECK(rects.at("2025-01, 2: 0.0%").at("fill") == "#f7fbff");    // share 0: the lightest
  // No data is hatched, never the light fill of 0 %, and the key says what the hatch means.
  for (const char* cell : {"2025-02, 1: no data", "2025-03, 1: no data", "2025-03, 2: no data"}) {
    INFO(cell);
    CHECK(rects.at(cell).at("fill") == "url(#h-no-data)");
    CHECK(rects.at(cell).at("class") == "no-data");
  }
  CHECK(count(svg, "<pattern id=\"h-no-data\"") == 1);
  CHECK(svg.find("fill=\"url(#h-no-data)\" stroke=\"#999\"/><text class=\"legend-label\" x=\"") !=
        std::string::npos);
  CHECK(svg.find(">no data (not observed yet)</text>") != std::string::npos);
  // 634 / 3 = 211 px a cell: every value prints, 0 % too.
  CHECK(svg.find(">50%</text>") != std::string::npos);
  CHECK(svg.find(">0%</text>") != std::string::npos);
  CHECK(count(svg, "<text class=\"cell") == 6);
  CHECK(svg.find("height=\"154.0\"") != std::string::npos);       // 40 + 3 x 22 + 48
  CHECK(heat_colour(2) == "#08306b");                             // clamped
  CHECK(tags_balanced(svg));
}

namespace {

struct CellLabel {
  double x = 0;  // the centre (text-anchor middle)
  double y = 0;
  std::string text;
};

std::vector<CellLabel> cell_labels(const std::string& svg) {
  static const std::regex label(R"re(<text class="cell[^"]*" x="([0-9.]+)" y="([0-9.]+)"[^>]*>([^<]*)</text>)re");
  std::vector<CellLabel> found;
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), label); it != std::sregex_iterator(); ++it) {
    found.push_back({std::stod((*it)[1]), std::stod((*it)[2]), (*it)[3]});
  }
  return found;
}

// The advance of a label in DejaVu Sans (the fallback sans-serif font on Debian, and wider than
// most) at 11 px: digits 1303/2048 em, "%" 1946/2048 em. Independent of heat_label_width.
double dejavu_width(const std::string& text) {
  double em = 0;
  for (const char c : text) em += c == '%' ? 1946.0 / 2048 : 1303.0 / 2048;
  return em * 11;
}

}  // namespace

TEST_CASE("heat_map: labels print in every cell or in none, and never overlap", "[svg]") {
  // A cohort table as an 80-month history gives it: the oldest cohorts' rows are 80 ages long.
  // Each row decays from 100 % to 0 % (and stays at 0 % for a while), so labels range from
  // "0%" (2 characters) to "100%" (4).
  for (const std::size_t ages : {3u, 8u, 12u, 16u, 17u, 20u, 24u, 40u, 80u}) {
    HeatMap chart;
    chart.text = {"wide", "Cohorts", "test"};
    for (std::size_t a = 0; a < ages; ++a) chart.column_labels.push_back(std::to_string(a));
    for (std::size_t r = 0; r < 6; ++r) {
      chart.row_labels.push_back("2019-0" + std::to_string(r + 1) + " (50)");
      std::vector<std::optional<double>> row;
      for (std::size_t a = 0; a + r < ages; ++a) {
        row.push_back(std::max(0.0, 100.0 - static_cast<double>(a) * 150.0 / static_cast<double>(ages)));
      }
      chart.cells.push_back(row);
    }
    std::size_t values = 0;
    for (const auto& row : chart.cells) values += row.size();
    const std::string svg = heat_map(chart);
    const std::vector<CellLabel> labels = cell_labels(svg);
    INFO(ages << " ages, " << labels.size() << " labels of " << values << " values");
    CHECK((labels.empty() || labels.size() == values));
    // Same row: the next label starts after this one ends (at its DejaVu width).
    for (std::size_t i = 0; i + 1 < labels.size(); ++i) {
      if (labels[i].y != labels[i + 1].y) continue;
      const double gap = (labels[i + 1].x - dejavu_width(labels[i + 1].text) / 2) -
                         (labels[i].x + dejavu_width(labels[i].text) / 2);
      INFO(labels[i].text << " at " << labels[i].x << ", " << labels[i + 1].text << " at " << labels[i + 1].x);
      CHECK(gap >= 2);
    }
    // The plot is 720 - 70 - 16 = 634 wide. "100%" is 2.88 em = 31.68 px by heat_label_width,
    // plus 6 = 37.68: cells of 634 / 16 = 39.6 take labels; 634 / 17 = 37.3 do not.
    CHECK(labels.empty() == (ages >= 17));
    // The wide map: nothing printed; the values are in the cells' tooltips.
    if (ages == 80) CHECK(count(svg, "<title>2019-01 (50), 79: ") == 1);
  }
}

TEST_CASE("small_multiples: one panel per series on a shared scale", "[svg]") {
  SmallMultiples chart;
  chart.text = {"sm", "By segment", "test"};
  chart.categories = {"2025-01", "2025-02"};
  chart.panels = {{"smb", {1.0, 2.0}, ""}, {"mid", {3.0, std::nullopt}, ""}, {"ent", {5.0, 6.0}, ""},
                  {"<script>&\"'", {7.0, 8.0}, ""}};
  const std::string svg = small_multiples(chart);
  CHECK(count(svg, "class=\"panel\"") == 4);
  CHECK(svg.find("height=\"400.0\"") != std::string::npos);  // 20 + 2 rows x 190
  CHECK(svg.find("<script>") == std::string::npos);
  CHECK(svg.find("&lt;script&gt;&amp;&quot;&#39;") != std::string::npos);
  CHECK(tags_balanced(svg));
}

TEST_CASE("charts escape every text they are given", "[svg]") {
  const std::string hostile = "<script>&\"'";
  LineChart chart;
  chart.text = {"x", hostile, hostile};
  chart.categories = {hostile, "b"};
  chart.series = {{hostile, {1.0, 2.0}, ""}};
  chart.y_label = hostile;
  const std::string svg = line_chart(chart);
  CHECK(svg.find("<script>") == std::string::npos);
  CHECK(svg.find('\'') == std::string::npos);
  CHECK(count(svg, "&lt;script&gt;&amp;&quot;&#39;") >= 5);
  CHECK(tags_balanced(svg));
}
