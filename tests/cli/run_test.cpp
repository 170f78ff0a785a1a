// csm::cli::run() with string streams: exit codes, and which stream gets what.
#include "cli/run.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace {

struct Result {
  int code;
  std::string out;
  std::string err;
};

// run() takes a mutable argv as main() does; keep the strings alive for the call.
Result run_cli(std::vector<std::string> args) {
  args.insert(args.begin(), "csm-metrics");
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  std::ostringstream out;
  std::ostringstream err;
  const int code = csm::cli::run(static_cast<int>(args.size()), argv.data(), out, err);
  return {code, out.str(), err.str()};
}

std::string data_file(const std::string& name) { return std::string(CSM_TEST_DATA_DIR) + "/" + name; }

bool is_one_error_line(const std::string& err) {
  return err.rfind("csm-metrics: error: ", 0) == 0 && err.find('\n') == err.size() - 1;
}

}  // namespace

TEST_CASE("run: compute --format json on a good file exits 0, result on out only", "[cli][run]") {
  const Result r = run_cli({"compute", "--format", "json", data_file("e2e/small.csv")});
  REQUIRE(r.code == 0);
  CHECK(r.err.empty());
  const auto report = nlohmann::json::parse(r.out);
  CHECK(report["kind"] == "activity");
  REQUIRE(report["periods"].size() == 3);
  // small.csv, February: a and b were active in January, b has no February row -> 1 churned of 2.
  CHECK(report["periods"][1]["period"] == "2025-02");
  CHECK(report["periods"][1]["customers_start"] == 2);
  CHECK(report["periods"][1]["churned_customers"] == 1);
  // March: b comes back after a month away -> reactivated, not new.
  CHECK(report["periods"][2]["reactivated_customers"] == 1);
  CHECK(report["periods"][2]["new_customers"] == 0);
}

TEST_CASE("run: is repeatable, no state kept between calls", "[cli][run]") {
  const std::vector<std::string> args = {"compute", "--format", "csv", data_file("e2e/small.csv")};
  const Result first = run_cli(args);
  const Result second = run_cli(args);
  REQUIRE(first.code == 0);
  CHECK(second.code == 0);
  CHECK(first.out == second.out);
  // 1 header line + 3 months.
  CHECK(std::count(first.out.begin(), first.out.end(), '\n') == 4);
}

TEST_CASE("run: usage errors exit 2 with nothing on out", "[cli][run]") {
  SECTION("--format xml") {
    const Result r = run_cli({"compute", "--format", "xml", data_file("e2e/small.csv")});
    CHECK(r.code == 2);
    CHECK(r.out.empty());
    CHECK(r.err.find("xml") != std::string::npos);
  }
  SECTION("an unknown flag") {
    const Result r = run_cli({"compute", "--no-such-flag", data_file("e2e/small.csv")});
    CHECK(r.code == 2);
    CHECK(r.out.empty());
    CHECK(r.err.find("--no-such-flag") != std::string::npos);
  }
  SECTION("no command") {
    const Result r = run_cli({});
    CHECK(r.code == 2);
    CHECK(r.out.empty());
    CHECK_FALSE(r.err.empty());
  }
  SECTION("calc cac with zero customers") {
    const Result r = run_cli({"calc", "cac", "--spend", "10", "--customers", "0"});
    CHECK(r.code == 2);
    CHECK(r.out.empty());
    CHECK(is_one_error_line(r.err));
    CHECK(r.err.find("customers") != std::string::npos);
  }
}

TEST_CASE("run: invalid data exits 65 with one located line on err", "[cli][run]") {
  const std::string path = data_file("bad/revenue_negative.csv");
  const Result r = run_cli({"compute", "--format", "json", path});
  CHECK(r.code == 65);
  CHECK(r.out.empty());
  // Line 3 of the file holds "bolt,2025-01,-3.00,"; the wording is the spec's example.
  CHECK(r.err == "csm-metrics: error: " + path + ":3: revenue: expected a decimal >= 0, got \"-3.00\"\n");
}

TEST_CASE("run: --skip-invalid exits 0 and reports the skipped records on err", "[cli][run]") {
  const Result r = run_cli({"compute", "--skip-invalid", "--format", "json", data_file("e2e/two_bad_rows.csv")});
  REQUIRE(r.code == 0);
  const auto report = nlohmann::json::parse(r.out);
  // Line 3 (revenue -1) and line 5 (csat 9) are invalid; the 3 other data rows are read.
  CHECK(report["input"]["skipped_records"] == 2);
  CHECK(report["input"]["records"] == 3);
  CHECK(r.err.find("two_bad_rows.csv:3: revenue") != std::string::npos);
  CHECK(r.err.find("two_bad_rows.csv:5: csat") != std::string::npos);
}

TEST_CASE("run: a missing input exits 66", "[cli][run]") {
  const std::string path = data_file("e2e/no-such-file.csv");
  const Result r = run_cli({"compute", path});
  CHECK(r.code == 66);
  CHECK(r.out.empty());
  CHECK(is_one_error_line(r.err));
  CHECK(r.err.find(path) != std::string::npos);
}

TEST_CASE("run: a directory as input exits 66", "[cli][run]") {
  const Result r = run_cli({"compute", data_file("e2e")});
  CHECK(r.code == 66);
  CHECK(r.out.empty());
  CHECK(is_one_error_line(r.err));
}

TEST_CASE("run: -o into a missing directory exits 74", "[cli][run]") {
  const std::string target =
      (std::filesystem::temp_directory_path() / "csm-run-test-no-such-dir" / "out.json").string();
  const Result r = run_cli({"compute", "-o", target, data_file("e2e/small.csv")});
  CHECK(r.code == 74);
  CHECK(r.out.empty());
  CHECK(is_one_error_line(r.err));
  CHECK(r.err.find(target) != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(target));
}

TEST_CASE("run: --version and --help print on out and exit 0", "[cli][run]") {
  const Result version = run_cli({"--version"});
  CHECK(version.code == 0);
  CHECK(version.err.empty());
  CHECK(std::regex_match(version.out, std::regex(R"(csm-metrics \d+\.\d+\.\d+\S* \(commit ([0-9a-f]{12}(-dirty)?|unknown)\)\n)")));

  const Result help = run_cli({"compute", "--help"});
  CHECK(help.code == 0);
  CHECK(help.err.empty());
  CHECK(help.out.find("--format") != std::string::npos);
}
