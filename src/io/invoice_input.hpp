#pragma once
/// Invoice lines from cells (src/io/record_input.cpp hands them over): the canonical columns,
/// the billing-system presets, the exchange-rate file and the checks of every field.

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "csm/invoice.hpp"
#include "csm/io/columns.hpp"

namespace csm::io {

/// How invoice lines are read (from ReadOptions).
struct InvoiceSettings {
  std::string currency;  ///< --currency: the base; empty = the one currency of the lines
  std::string fx;        ///< --fx FILE; empty = none
  std::string preset;    ///< --preset NAME; empty = canonical columns and values
};

/// One row of a preset's line-type table: when `column` (canonical slot name) holds `value`
/// (case-insensitive; "*" = anything not empty), the line is `type`. The first match wins.
struct PresetLineRule {
  const char* column;
  const char* value;
  LineType type;
};

/// A billing system's export described as data: column names, units and values.
struct InvoicePreset {
  const char* name;
  const char* description;
  /// (canonical column, export column) pairs, as --column would give them.
  std::vector<std::pair<std::string, std::string>> columns;
  bool minor_units = false;  ///< amounts in the currency's minor unit (cents)
  std::vector<PresetLineRule> line_types;  ///< empty: the canonical values
  LineType default_type = LineType::subscription;
  /// A service_end that is the last day of the period, not the day after (inclusive ends).
  bool inclusive_end = false;
  /// Other names of a column (canonical, name) also accepted: the export's CSV header where it
  /// differs from the API field name of `columns` (docs/metrics.md, "Presets").
  std::vector<std::pair<std::string, std::string>> alternatives;
};

/// The presets (--preset NAME), and their names joined with ", " for messages.
const std::vector<InvoicePreset>& invoice_presets();
const InvoicePreset* find_invoice_preset(std::string_view name);

/// The extra canonical slots the presets' line-type rules may read (e.g. Stripe's "proration").
/// They follow the canonical columns in the invoice ColumnMap and are optional.
const std::vector<std::string>& invoice_extra_columns();

/// Reads the rate file (date,currency,rate). Throws InputError (file:line), SourceError.
FxRates read_fx_rates(const std::string& path);

/// Turns cells into InvoiceLines (in the base currency) and hands them to an InvoiceExpander.
class InvoiceReader {
 public:
  InvoiceReader(InvoiceExpander& out, const InvoiceSettings& settings);
  /// A reader with the settings (and the rate file, read once) of `like`, into `out`: one per
  /// thread of a file read in shares.
  InvoiceReader(InvoiceExpander& out, const InvoiceReader& like);
  ~InvoiceReader();
  /// Check and take one row. Throws InputError (file:line: field: ...) for a bad row.
  void row(const ColumnMap& columns, std::span<const Cell> cells, const Location& where);
  InvoiceExpander& expander() noexcept { return out_; }
  /// The line the last row() took (in the base currency); its views live as long as the row's cells.
  const InvoiceLine& last_line() const noexcept { return last_; }
  /// The base currency: --currency, else the one currency the lines named (empty: none).
  const std::string& currency() const noexcept {
    return settings_.currency.empty() ? single_currency_ : settings_.currency;
  }

 private:
  InvoiceExpander& out_;
  InvoiceSettings settings_;
  const InvoicePreset* preset_ = nullptr;
  std::shared_ptr<const FxRates> fx_;
  std::string single_currency_;  // without --currency: the currency of the lines so far
  std::string id_;               // the customer id (a preset may rewrite it)
  InvoiceLine last_;
  std::vector<std::optional<double>> signals_;  // the last line's signal values (line.signals)
};

}  // namespace csm::io
