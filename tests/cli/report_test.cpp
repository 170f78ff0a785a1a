// `csm-metrics report` through csm::cli::run(): the page on stdout, the input options of compute,
// and the exit statuses.
#include <catch2/catch.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cli/run.hpp"

namespace {

struct Result {
  int code;
  std::string out;
  std::string err;
};

Result run_report(std::vector<std::string> args) {
  args.insert(args.begin(), {"csm-metrics", "report"});
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  std::ostringstream out;
  std::ostringstream err;
  const int code = csm::cli::run(static_cast<int>(args.size()), argv.data(), out, err);
  return {code, out.str(), err.str()};
}

std::string data_file(const std::string& name) { return std::string(CSM_TEST_DATA_DIR) + "/" + name; }

}  // namespace

TEST_CASE("report: the page on stdout, nothing on stderr", "[cli][report]") {
  const Result r = run_report({data_file("e2e/small.csv"), "--title", "Q1 <draft>"});
  REQUIRE(r.code == 0);
  CHECK(r.err.empty());
  CHECK(r.out.rfind("<!DOCTYPE html>", 0) == 0);
  CHECK(r.out.find("<title>Q1 &lt;draft&gt;</title>") != std::string::npos);
  // small.csv: 2025-01 to 2025-03; in March b comes back -> the headline shows 1 reactivated.
  CHECK(r.out.find("2025-01 to 2025-03 &middot; 3 months") != std::string::npos);
  CHECK(r.out.find("<th scope=\"row\">Reactivated customers</th><td class=\"num\">1</td>") != std::string::npos);
}

TEST_CASE("report: takes the input and metric options of compute", "[cli][report]") {
  const Result threshold = run_report({data_file("e2e/small.csv"), "--csat-threshold", "5"});
  REQUIRE(threshold.code == 0);
  CHECK(threshold.out.find("a response &ge; 5 is satisfied") != std::string::npos);
  CHECK(threshold.out.find("scoring 5 or more") != std::string::npos);
  CHECK(run_report({data_file("e2e/small.csv"), "--input-format", "csv", "--kind", "activity",
                    "--gross-margin", "0.8", "--discount-rate", "0.01"})
            .code == 0);
  // Option values in any case, as CLI11 accepts them (compute's maps once failed on "CSV").
  CHECK(run_report({data_file("e2e/small.csv"), "--input-format", "CSV", "--kind", "Activity"}).code == 0);
}

TEST_CASE("report: exit statuses", "[cli][report]") {
  CHECK(run_report({data_file("e2e/small.csv"), "--csat-threshold", "9"}).code == 2);
  CHECK(run_report({data_file("e2e/small.csv"), "--column", "nonsense"}).code == 2);
  const Result missing = run_report({data_file("no-such-file.csv")});
  CHECK(missing.code == 66);
  CHECK(missing.out.empty());
  const Result bad = run_report({data_file("e2e/two_bad_rows.csv")});
  CHECK(bad.code == 65);
  CHECK(bad.out.empty());
  const Result skipped = run_report({data_file("e2e/two_bad_rows.csv"), "--skip-invalid", "-q"});
  CHECK(skipped.code == 0);
  CHECK(skipped.err.empty());
  CHECK(skipped.out.find("skipped 2 invalid records") != std::string::npos);
}
