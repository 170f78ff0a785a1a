// `csm-metrics calc <metric>`: one formula of csm::formulas applied to numbers given on the command
// line. Options are read as strings and converted here, so that every bad value gets the same
// kind of message ("cac: --spend: expected an amount >= 0, got \"-5\"") and exit status 2.

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "cli/calc_support.hpp"
#include "cli/commands.hpp"
#include "cli/run.hpp"
#include "csm/error.hpp"
#include "csm/formulas.hpp"
#include "io/text_output.hpp"

namespace csm::cli {
namespace {

using calc::Command;
using calc::Json;
using calc::Result;

// Compact JSON with numbers as every other command writes them (io::text::number_text: 5, not
// 5.0); a number that is not finite is null, as nlohmann's dump writes it.
void append_compact(std::string& out, const Json& j) {
  switch (j.type()) {
    case Json::value_t::object: {
      out.push_back('{');
      bool first = true;
      for (const auto& [key, value] : j.items()) {
        if (!first) out.push_back(',');
        first = false;
        io::text::append_json_string(out, key);
        out.push_back(':');
        append_compact(out, value);
      }
      out.push_back('}');
      break;
    }
    case Json::value_t::array: {
      out.push_back('[');
      bool first = true;
      for (const Json& value : j) {
        if (!first) out.push_back(',');
        first = false;
        append_compact(out, value);
      }
      out.push_back(']');
      break;
    }
    case Json::value_t::string:
      io::text::append_json_string(out, j.get_ref<const std::string&>());
      break;
    case Json::value_t::number_float: {
      const double v = j.get<double>();
      out += std::isfinite(v) ? io::text::number_text(v) : std::string("null");
      break;
    }
    default:
      out += j.dump();
  }
}

// The envelope (tool, version, command "calc", kind null: no records are read), then the result.
std::string calc_json(const Json& result) {
  Json j;
  io::text::put_envelope(j, {CSM_VERSION, "calc", std::nullopt});
  for (const auto& [key, value] : result.items()) j[key] = value;
  std::string out;
  append_compact(out, j);
  return out;
}

void emit(const Result& result, const std::string& format, std::ostream& out) {
  if (format == "json") {
    out << calc_json(result.json) << '\n';
  } else {
    out << result.text << '\n';
  }
  out.flush();
  if (!out) throw OutputError("calc: cannot write the result to standard output");
}

}  // namespace

CommandRunner add_calc_command(CLI::App& app, Streams io) {
  CLI::App* calc = app.add_subcommand(
      "calc", "Compute one formula from numbers given on the command line (see docs/calc.md)");
  calc->require_subcommand(1);
  calc->footer(
      "Rates (--retention, --growth, --discount-rate) are fractions (0.05) or percentages (5%).\n"
      "Results that are rates are printed as percentages: 5.00% in text, 5 in JSON.");

  auto commands = std::make_shared<std::vector<Command>>();
  commands->push_back(calc::add_clv_dcf(*calc));
  commands->push_back(calc::add_clv(*calc));
  commands->push_back(calc::add_cac(*calc));
  commands->push_back(calc::add_csat(*calc));
  commands->push_back(calc::add_nps(*calc));
  commands->push_back(calc::add_retention(*calc));
  commands->push_back(calc::add_share_of_start(
      *calc, "churn", "churn_rate", "Churn rate, percent: 100 * churned / start",
      "--churned", "Customers of the start lost during the period", &formulas::churn_rate));
  commands->push_back(calc::add_share_of_start(
      *calc, "expansion", "expansion_rate",
      "Expansion rate, percent: 100 * expanded / start", "--expanded",
      "Customers of the start whose revenue grew during the period",
      &formulas::expansion_rate));
  calc::add_unit_economics(*calc, *commands);

  return [commands, io]() -> int {
    for (const Command& command : *commands) {
      if (command.app->parsed()) {
        emit(command.compute(), *command.format, io.out);
        return kOk;
      }
    }
    throw UsageError("calc: give a metric: clv-dcf, clv, cac, csat, nps, retention, churn, expansion, grr, nrr, "
                     "arpu, ltv-cac, payback or quick-ratio");
  };
}

}  // namespace csm::cli
