#include "cli/run.hpp"

#include <CLI/CLI.hpp>
#include <exception>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "cli/completion.hpp"
#include "cli/option_checks.hpp"
#include "cli/scale_out.hpp"
#include "csm/activity_aggregator.hpp"
#include "csm/error.hpp"
#include "csm/io/run.hpp"
#include "csm/ml/xgboost_model.hpp"
#include "csm/suggest.hpp"

namespace csm::cli {

// `forecast`, defined in retention.cpp beside `retention` (declared here, not in commands.hpp, so
// that adding it did not rebuild every command).
CommandRunner add_forecast_command(CLI::App& app, Streams io);

namespace {

void print_error(std::ostream& err, const std::string& message) {
  err << "csm-metrics: error: " << message << '\n';
  err.flush();
}

// The deepest command the parser entered: "calc clv" for `csm-metrics calc clv ...`.
const CLI::App* deepest_command(const CLI::App& app) {
  const CLI::App* level = &app;
  for (;;) {
    const auto parsed = level->get_subcommands();
    if (parsed.empty()) return level;
    level = parsed.front();
  }
}

std::string command_path(const CLI::App* command) {
  std::string path;
  for (; command != nullptr && command->get_parent() != nullptr; command = command->get_parent()) {
    path = command->get_name() + (path.empty() ? "" : " " + path);
  }
  return path;
}

std::vector<std::string> visible_subcommands(const CLI::App& level) {
  std::vector<std::string> names;
  auto& mutable_level = const_cast<CLI::App&>(level);
  for (const CLI::App* sub : mutable_level.get_subcommands([](CLI::App*) { return true; })) {
    if (!sub->get_group().empty()) names.push_back(sub->get_name());
  }
  return names;
}

std::vector<std::string> option_names(const CLI::App& command) {
  std::vector<std::string> names;
  for (const CLI::Option* option : command.get_options()) {
    for (const std::string& name : option->get_lnames()) names.push_back("--" + name);
  }
  return names;
}

// One line for any parse error: which command, what is wrong, a suggestion where one is likely,
// and where to read more. CLI11's own text is two lines and lists unexpected words backwards.
std::string usage_error_message(const CLI::App& app, const CLI::ParseError& e) {
  const CLI::App* command = deepest_command(app);
  const std::string path = command_path(command);
  const std::string help = "see 'csm-metrics " + (path.empty() ? "" : path + " ") + "--help'";
  const std::string prefix = path.empty() ? "" : path + ": ";
  // A required subcommand that is missing, or a word where a command was expected.
  if (dynamic_cast<const CLI::RequiredError*>(&e) != nullptr && command->get_require_subcommand_min() > 0) {
    const std::vector<std::string> names = visible_subcommands(*command);
    std::string list;
    for (const auto& name : names) list += (list.empty() ? "" : ", ") + name;
    const auto remaining = command->remaining();
    const char* what = command == &app ? "command" : "metric";
    if (remaining.empty()) {
      return prefix + "no " + what + " given (" + what + "s: " + list + "; " + help + ")";
    }
    const std::string suggestion = nearest_word(remaining.front(), names);
    return prefix + "unknown " + what + " " + quote_for_message(remaining.front()) + " (" +
           (suggestion.empty() ? "" : "did you mean " + suggestion + "? ") + what + "s: " + list +
           "; " + help + ")";
  }
  if (dynamic_cast<const CLI::ExtrasError*>(&e) != nullptr) {
    const auto remaining = command->remaining();
    for (const std::string& word : remaining) {
      if (word.size() > 1 && word.front() == '-') {
        const std::string name = word.substr(0, word.find('='));
        const std::string suggestion = nearest_word(name, option_names(*command));
        return prefix + "unknown option " + quote_for_message(name) +
               (suggestion.empty() ? "" : " (did you mean " + suggestion + "?)") + "; " + help;
      }
    }
    std::string words;
    for (const std::string& word : remaining) words += (words.empty() ? "" : " ") + word;
    return prefix + "unexpected argument" + (remaining.size() > 1 ? "s " : " ") +
           quote_for_message(words) + "; " + help;
  }
  std::string text = e.what();
  for (char& c : text) {
    if (c == '\n') c = ' ';
  }
  return prefix + text + "; " + help;
}

}  // namespace

int run(int argc, char** argv, std::ostream& out, std::ostream& err) {
  CLI::App app{"csm-metrics: customer-success metrics (churn, retention, MRR movements, CSAT, CAC,\n"
               "CLV) from customer records in CSV, TSV, JSON or JSON Lines.",
               "csm-metrics"};
  app.set_version_flag("--version", "csm-metrics " CSM_VERSION " (commit " CSM_COMMIT ")");
  app.require_subcommand(1);
  app.footer(
      "Examples:\n"
      "  csm-metrics compute customers.csv\n"
      "  csm-metrics compute --format json customers.csv | jq '.periods[-1].churn_rate'\n"
      "  csm-metrics calc clv --gross-profit 900 --retention 0.9 --discount-rate 0.01\n"
      "  csm-metrics report customers.csv -o report.html\n"
      "  csm-metrics at-risk customers.csv --top 20\n"
      "  csm-metrics predict orders.csv --end 2024-12-31 --unit week --sort clv --top 20\n"
      "Exit status: 0 ok, 1 a --fail-if threshold crossed, 2 usage error, 65 invalid input data,\n"
      "66 input missing or unreadable, 70 internal error, 71 out of memory, 74 output error;\n"
      "130, 141, 143 killed by SIGINT, SIGPIPE, SIGTERM. Run 'csm-metrics COMMAND --help' for the\n"
      "options of a command; man csm-metrics-COMMAND where the package is installed.");
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
  const CommandRunner movements = add_movements_command(app, io);
  const CommandRunner retention = add_retention_command(app, io);
  const CommandRunner forecast = add_forecast_command(app, io);
  const CommandRunner churn_risk = add_churn_risk_command(app, io);
  // Last, so that it is listed last; it describes the commands when it runs.
  const CommandRunner completion = add_completion_command(app, io);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // Help and version are "errors" with exit code 0 in CLI11; they go to stdout, and a failed
    // write of them (stdout on a full disk, /dev/full) is an output error like any other.
    if (e.get_exit_code() == 0) {
      app.exit(e, out, err);
      out.flush();
      if (!out) {
        print_error(err, "cannot write to standard output");
        return kIoError;
      }
      return kOk;
    }
    print_error(err, usage_error_message(app, e));
    return kUsage;
  }

  try {
    for (const CLI::App* sub : app.get_subcommands()) check_output_paths(*sub);
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
      if (sub->get_name() == "completion") return completion();
      if (sub->get_name() == "movements") return movements();
      if (sub->get_name() == "retention") return retention();
      if (sub->get_name() == "forecast") return forecast();
      if (sub->get_name() == "churn-risk") return churn_risk();
    }
    print_error(err, "no command given; try --help");
    return kUsage;
  } catch (const UsageError& e) {
    print_error(err, e.what());
    return kUsage;
  } catch (const io::RequestError& e) {  // the library's word for a usage error
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
  } catch (const ml::LibraryError& e) {
    print_error(err, e.what());
    return kOsError;
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
