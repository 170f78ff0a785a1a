#include "cli/run.hpp"

#include <CLI/CLI.hpp>
#include <exception>
#include <string>

#include "cli/commands.hpp"
#include "cli/scale_out.hpp"
#include "csm/activity_aggregator.hpp"
#include "csm/error.hpp"

namespace csm::cli {

// `forecast`, defined in retention.cpp beside `retention` (declared here, not in commands.hpp, so
// that adding it did not rebuild every command).
CommandRunner add_forecast_command(CLI::App& app, Streams io);

namespace {

void print_error(std::ostream& err, const std::string& message) {
  err << "csm-metrics: error: " << message << '\n';
  err.flush();
}

}  // namespace

int run(int argc, char** argv, std::ostream& out, std::ostream& err) {
  CLI::App app{"csm-metrics: customer-success metrics (churn, retention, MRR movements, CSAT, CAC,\n"
               "CLV) from customer records in CSV, TSV, JSON or JSON Lines.",
               "csm-metrics"};
  app.set_version_flag("--version", "csm-metrics " CSM_VERSION);
  app.require_subcommand(1);
  app.footer(
      "Examples:\n"
      "  csm-metrics compute customers.csv\n"
      "  csm-metrics compute --format json customers.csv | jq '.periods[-1].churn_rate'\n"
      "  csm-metrics calc clv --margin 900 --retention 0.9 --discount-rate 0.01\n"
      "  csm-metrics report customers.csv -o report.html\n"
      "  csm-metrics at-risk customers.csv --top 20\n"
      "  csm-metrics predict orders.csv --end 2024-12-31 --unit week --sort clv --top 20\n"
      "Exit status: 0 ok, 1 a --fail-if threshold crossed, 2 usage error, 65 invalid input data,\n"
      "66 input missing or unreadable, 74 output error. Run 'csm-metrics COMMAND --help' for the\n"
      "options of a command.");
  const Streams io{out, err};
  const CommandRunner compute = add_compute_command(app, io);
  const CommandRunner calc = add_calc_command(app, io);
  const CommandRunner report = add_report_command(app, io);
  const CommandRunner at_risk = add_at_risk_command(app, io);
  const CommandRunner check = add_check_command(app, io);
  const CommandRunner cohorts = add_cohorts_command(app, io);
  const CommandRunner rfm = add_rfm_command(app, io);
  const CommandRunner predict = add_predict_command(app, io);
  const CommandRunner merge = add_merge_command(app, io);
  const CommandRunner shard = add_shard_command(app, io);
  const CommandRunner retention = add_retention_command(app, io);
  const CommandRunner forecast = add_forecast_command(app, io);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // CLI11 reports an unknown command as "a subcommand is required"; name the word instead.
    if (dynamic_cast<const CLI::RequiredError*>(&e) != nullptr) {
      for (const CLI::App* level : {&app, app.get_subcommand_ptr("calc").get()}) {
        if (!level->parsed() || level->remaining().empty()) continue;
        std::string names;
        for (const CLI::App* sub : level->get_subcommands({})) {
          names += (names.empty() ? "" : ", ") + sub->get_name();
        }
        print_error(err, "unknown command " + quote_for_message(level->remaining().front()) +
                             " (" + (level == &app ? "commands" : "calc metrics") + ": " + names +
                             "; see --help)");
        return kUsage;
      }
    }
    // Help and version are "errors" with exit code 0 in CLI11; they go to stdout.
    const int code = app.exit(e, out, err);
    if (code == 0) return kOk;
    return kUsage;
  }

  try {
    for (const CLI::App* sub : app.get_subcommands()) {
      if (sub->get_name() == "compute") return compute();
      if (sub->get_name() == "calc") return calc();
      if (sub->get_name() == "report") return report();
      if (sub->get_name() == "at-risk") return at_risk();
      if (sub->get_name() == "check") return check();
      if (sub->get_name() == "cohorts") return cohorts();
      if (sub->get_name() == "rfm") return rfm();
      if (sub->get_name() == "predict") return predict();
      if (sub->get_name() == "merge") return merge();
      if (sub->get_name() == "shard") return shard();
      if (sub->get_name() == "retention") return retention();
      if (sub->get_name() == "forecast") return forecast();
    }
    print_error(err, "no command given; try --help");
    return kUsage;
  } catch (const UsageError& e) {
    print_error(err, e.what());
    return kUsage;
  } catch (const InputError& e) {
    print_error(err, e.what());
    return kDataError;
  } catch (const RevenueOverflow& e) {
    print_error(err, e.what());
    return kDataError;
  } catch (const SourceError& e) {
    print_error(err, e.what());
    return kNoInput;
  } catch (const OutputError& e) {
    print_error(err, e.what());
    return kIoError;
  } catch (const std::bad_alloc&) {
    // Without building a string: this must not need memory itself.
    err << "csm-metrics: error: out of memory (the input has more customers or months than fit "
           "in memory)\n";
    err.flush();
    return kOsError;
  } catch (const std::exception& e) {
    print_error(err, std::string("internal error: ") + e.what());
    return kSoftware;
  }
}

}  // namespace csm::cli
