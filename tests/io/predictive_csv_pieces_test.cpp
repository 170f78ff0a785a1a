// The large CSVs of rfm and predict written in pieces as they are formatted (issue 22): the
// pieces make exactly the text expected, with any number of threads, and a file written in
// pieces is still all or nothing.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "csm/io/output_file.hpp"
#include "csm/io/predictive_writer.hpp"
#include "scratch_dir.hpp"

namespace {

namespace fs = std::filesystem;

// A number as the CSVs write it, worked out with std::to_chars (a second shortest round-trip
// writer): plain notation, which is what csm-metrics writes for these values (|v| in [1e-4, 1e16)).
std::string plain(double v) {
  char text[400];
  const auto r = std::to_chars(text, text + sizeof text, v, std::chars_format::fixed);
  return std::string(text, r.ptr);
}

// YYYY-MM-DD of days since 1970-01-01, counted with the C library's calendar.
std::string calendar(std::int32_t days) {
  std::time_t t = static_cast<std::time_t>(days) * 86400;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d", &tm);
  return text;
}

std::string id_of(std::size_t i) {
  if (i % 1000 == 7) return "Shop, \"Nord\" " + std::to_string(i);  // quoted, quotes doubled
  if (i % 1000 == 8) return "=cmd" + std::to_string(i);              // a formula when guarded
  return "c" + std::to_string(i);
}

double t_x_of(std::size_t i) { return static_cast<double>(i % 53) / 7.0; }
double T_of(std::size_t i) { return 52.0 + static_cast<double>(i % 97) / 7.0; }

// n customers with values that vary from row to row; every 3rd has no monetary value.
csm::io::RfmReport rfm_report(std::size_t n) {
  csm::io::RfmReport report;
  report.summary.unit = csm::TimeUnit::week;
  for (std::size_t i = 0; i < n; ++i) {
    csm::RfmCustomer c;
    c.customer_id = id_of(i);
    c.first.days = 19000 + static_cast<std::int32_t>(i % 400);
    c.x = static_cast<std::uint32_t>(i % 11);
    c.t_x = t_x_of(i);
    c.T = T_of(i);
    if (i % 3 != 0) c.monetary = static_cast<double>(i % 1000) / 3.0 + 0.01;
    c.holdout_x = static_cast<std::uint32_t>(i % 4);
    report.summary.customers.push_back(c);
  }
  return report;
}

std::string expected_rfm_csv(std::size_t n, bool guard) {
  std::string out = "customer_id,first_purchase,x,t_x,T,monetary,unit\n";
  for (std::size_t i = 0; i < n; ++i) {
    std::string id = id_of(i);
    if (i % 1000 == 7) {
      id = "\"Shop, \"\"Nord\"\" " + std::to_string(i) + "\"";
    } else if (i % 1000 == 8 && guard) {
      id = "\"'=cmd" + std::to_string(i) + "\"";
    }
    out += id + "," + calendar(19000 + static_cast<std::int32_t>(i % 400)) + "," + std::to_string(i % 11) + "," +
           plain(t_x_of(i)) + "," + plain(T_of(i)) + "," +
           (i % 3 != 0 ? plain(static_cast<double>(i % 1000) / 3.0 + 0.01) : "") + ",week\n";
  }
  return out;
}

std::string joined(const csm::io::RfmReport& report, const csm::io::CsvStyle& style, std::size_t* pieces = nullptr) {
  std::string out;
  std::size_t count = 0;
  csm::io::write_csv(report, style, [&](std::string_view piece) {
    out.append(piece);
    ++count;
  });
  if (pieces != nullptr) *pieces = count;
  return out;
}

}  // namespace

TEST_CASE("rfm CSV in pieces: the expected text with any number of threads", "[io][predictive][pieces]") {
  const std::size_t n = 10'000;  // three chunks of rows and a part
  csm::io::RfmReport report = rfm_report(n);
  const std::string expected = expected_rfm_csv(n, true);  // formulas guarded by default
  for (const unsigned threads : {1u, 2u, 3u, 8u}) {
    CAPTURE(threads);
    report.threads = threads;
    std::size_t pieces = 0;
    CHECK(joined(report, {}, &pieces) == expected);
    CHECK(pieces > 2);  // the header, then chunks: never the whole text at once
    CHECK(csm::io::to_csv(report) == expected);
  }
  csm::io::CsvStyle raw;  // --csv-raw
  raw.formula_guard = false;
  CHECK(joined(report, raw) == expected_rfm_csv(n, false));
}

TEST_CASE("rfm CSV in pieces: numbers and dates at the edges", "[io][predictive][pieces]") {
  csm::io::RfmReport report = rfm_report(0);
  csm::RfmCustomer c;
  c.customer_id = "a";
  c.first.days = 0;  // 1970-01-01
  c.x = 4294967295u;
  c.t_x = 1e-05;  // exponent notation below 1e-4
  c.T = 1e16;     // and from 1e16
  c.monetary = 0.1 + 0.2;
  report.summary.customers.push_back(c);
  c.customer_id = "b";
  c.first.days = -719162;  // 0001-01-01
  c.x = 0;
  c.t_x = 0;
  c.T = std::numeric_limits<double>::quiet_NaN();  // not finite: empty
  c.monetary = 123456789012345.6;
  report.summary.customers.push_back(c);
  c.customer_id = "c";
  c.first.days = 2932896;  // 9999-12-31
  c.t_x = 0.0001;
  c.T = 9999999999999998.0;
  c.monetary.reset();
  report.summary.customers.push_back(c);
  CHECK(joined(report, {}) ==
        "customer_id,first_purchase,x,t_x,T,monetary,unit\n"
        "a,1970-01-01,4294967295,1e-05,1e+16,0.30000000000000004,week\n"
        "b,0001-01-01,0,0,,123456789012345.6,week\n"
        "c,9999-12-31,0,0.0001,9999999999999998,,week\n");
}

TEST_CASE("predict CSV in pieces: the same text as in one piece, with any number of threads", "[io][predictive][pieces]") {
  const std::size_t n = 9'000;
  csm::io::PredictReport report;
  report.summary = rfm_report(n).summary;
  report.horizon = 52;
  for (std::size_t i = 0; i < n; ++i) {
    csm::io::CustomerPrediction p;
    p.customer = n - 1 - i;  // output order differs from the summary's
    p.p_alive = 1.0 / static_cast<double>(i + 2);
    p.expected_purchases = static_cast<double>(i) / 9.0;
    if (i % 5 != 0) {
      p.expected_spend = static_cast<double>(i) * 1.1;
      p.clv = static_cast<double>(i) * 2.2;
      p.value_at_risk = static_cast<double>(i) * 0.3;
    }
    report.customers.push_back(p);
  }
  std::string expected =
      "customer_id,x,t_x,T,monetary,p_alive,expected_purchases,expected_spend,clv,value_at_risk,unit,horizon\n";
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t k = n - 1 - i;
    const std::string id = k % 1000 == 7   ? "\"Shop, \"\"Nord\"\" " + std::to_string(k) + "\""
                           : k % 1000 == 8 ? "\"'=cmd" + std::to_string(k) + "\""
                                           : id_of(k);
    expected += id + "," + std::to_string(k % 11) + "," + plain(t_x_of(k)) + "," + plain(T_of(k)) + "," +
                (k % 3 != 0 ? plain(static_cast<double>(k % 1000) / 3.0 + 0.01) : "") + "," +
                plain(1.0 / static_cast<double>(i + 2)) + "," + plain(static_cast<double>(i) / 9.0) + ",";
    if (i % 5 != 0) {
      expected += plain(static_cast<double>(i) * 1.1) + "," + plain(static_cast<double>(i) * 2.2) + "," +
                  plain(static_cast<double>(i) * 0.3);
    } else {
      expected += ",,";
    }
    expected += ",week,52\n";
  }
  for (const unsigned threads : {1u, 3u}) {
    CAPTURE(threads);
    report.threads = threads;
    std::string out;
    csm::io::write_csv(report, {}, [&](std::string_view piece) { out.append(piece); });
    CHECK(out == expected);
    CHECK(csm::io::to_csv(report) == expected);
  }
}

TEST_CASE("rfm JSON in pieces: what nlohmann prints for the whole document", "[io][predictive][pieces]") {
  using Json = nlohmann::ordered_json;
  for (const std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{5000}}) {
    CAPTURE(n);
    csm::io::RfmReport report = rfm_report(n);
    report.version = "9.9.9";
    std::string first;
    for (const unsigned threads : {1u, 3u}) {
      report.threads = threads;
      std::string out;
      std::size_t pieces = 0;
      csm::io::write_json(report, [&](std::string_view piece) {
        out.append(piece);
        ++pieces;
      });
      if (threads == 1) first = out;
      CHECK(out == first);
      CHECK(csm::io::to_json(report) == out);
      if (n == 5000) CHECK(pieces > 2);
      // Parsed and printed again whole by nlohmann: the same text (members in the same order).
      const Json doc = Json::parse(out);
      CHECK(doc.dump(2, ' ', false, Json::error_handler_t::replace) + "\n" == out);
      REQUIRE(doc["customers"].size() == n);
      for (std::size_t i = 0; i < n; i += 997) {
        const Json& c = doc["customers"][i];
        CHECK(c["customer_id"] == id_of(i));
        CHECK(c["first_purchase"] == calendar(19000 + static_cast<std::int32_t>(i % 400)));
        CHECK(c["x"] == i % 11);
        CHECK(c["t_x"].get<double>() == t_x_of(i));
        CHECK(c["T"].get<double>() == T_of(i));
        if (i % 3 != 0) {
          CHECK(c["monetary"].get<double>() == static_cast<double>(i % 1000) / 3.0 + 0.01);
        } else {
          CHECK(c["monetary"].is_null());
        }
      }
    }
  }
}

TEST_CASE("file in pieces: the pieces in order, atomically", "[io][output][pieces]") {
  csm::test::ScratchDir scratch;
  const std::string path = scratch.path("out.csv");
  // 10 MB in pieces of 64 KiB: past the 8 MiB at which the writer starts the write-back.
  const std::string piece(65536, 'x');
  std::string expected;
  for (int i = 0; i < 160; ++i) expected += piece.substr(0, 65535) + static_cast<char>('a' + i % 26);
  csm::io::write_file_atomically_in_pieces(path, [&](const csm::io::TextSink& sink) {
    for (int i = 0; i < 160; ++i) sink(std::string_view(expected).substr(static_cast<std::size_t>(i) * 65536, 65536));
  });
  CHECK(csm::test::slurp(path) == expected);
  CHECK(scratch.entries() == 1);

  // A failure while the text is made leaves the old file whole and no temporary file behind.
  CHECK_THROWS_AS(csm::io::write_file_atomically_in_pieces(path,
                                                           [&](const csm::io::TextSink& sink) {
                                                             sink("new start\n");
                                                             throw std::runtime_error("formatting failed");
                                                           }),
                  std::runtime_error);
  CHECK(csm::test::slurp(path) == expected);
  CHECK(scratch.entries() == 1);

  // A new file that fails is not created at all.
  const std::string fresh = scratch.path("fresh.csv");
  CHECK_THROWS_AS(csm::io::write_file_atomically_in_pieces(
                      fresh, [&](const csm::io::TextSink&) { throw std::runtime_error("no rows"); }),
                  std::runtime_error);
  CHECK_FALSE(fs::exists(fresh));
  CHECK(scratch.entries() == 1);
}
