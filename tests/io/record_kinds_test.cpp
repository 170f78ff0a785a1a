// The table of record kinds (src/io/record_kinds.cpp), through the public API: each kind's name,
// its detection from a header, and in-memory inputs (RecordInput::from_memory).

#include <catch2/catch.hpp>
#include <stdexcept>
#include <string>

#include "csm/activity_aggregator.hpp"
#include "csm/error.hpp"
#include "csm/io/record_input.hpp"

namespace {

using csm::io::InputText;
using csm::io::RecordInput;
using csm::io::RecordKind;

RecordKind detected(const std::string& name, const std::string& bytes) {
  RecordInput input = RecordInput::from_memory({InputText{name, bytes}}, {});
  return input.kind();
}

}  // namespace

TEST_CASE("every kind has a name that --kind reads back") {
  for (RecordKind kind : {RecordKind::activity, RecordKind::summary, RecordKind::subscription,
                          RecordKind::spend, RecordKind::transaction, RecordKind::invoice}) {
    CHECK(csm::io::record_kind_named(csm::io::to_string(kind)) == kind);
  }
  CHECK(csm::io::record_kind_named("AUTO") == RecordKind::automatic);
  CHECK(csm::io::record_kind_named("Invoice") == RecordKind::invoice);
  CHECK(csm::io::to_string(RecordKind::subscription) == "subscription");
  CHECK_THROWS_AS(csm::io::record_kind_named("orders"), std::invalid_argument);
}

TEST_CASE("the kind is detected from the header in the table's order") {
  CHECK(detected("a.csv", "customer_id,period,revenue\na,2024-01,1\n") == RecordKind::activity);
  CHECK(detected("s.csv", "period,customers_start,new_customers,churned_customers\n") == RecordKind::summary);
  CHECK(detected("s.csv", "customer_id,start_date,mrr\n") == RecordKind::subscription);
  CHECK(detected("t.csv", "customer_id,date,amount\n") == RecordKind::transaction);
  // date and amount with a period column: not transactions (nothing else matches: activity).
  CHECK(detected("t.csv", "customer_id,period,date,amount\n") == RecordKind::activity);
  CHECK(detected("i.csv", "customer_id,service_start,service_end,amount\n") == RecordKind::invoice);
  // service_start wins over start_date (invoice comes first in the table).
  CHECK(detected("i.csv", "customer_id,service_start,start_date,amount\n") == RecordKind::invoice);
  // JSON Lines by the name's extension; the first object names the kind.
  CHECK(detected("x.jsonl", "{\"customer_id\":\"a\",\"start_date\":\"2024-01-01\",\"mrr\":5}\n") ==
        RecordKind::subscription);
}

TEST_CASE("an in-memory input reads as a file of that name would") {
  // Three rows: a and b in 2024-01, a again in 2024-02.
  const std::string rows = "customer_id,period,revenue\na,2024-01,10\nb,2024-01,5\na,2024-02,10\n";
  RecordInput input = RecordInput::from_memory({InputText{"rows.csv", rows}}, {});
  csm::ActivityAggregator aggregator;
  input.read(aggregator);
  CHECK(input.report().records == 3);
  REQUIRE(input.report().sources.size() == 1);
  CHECK(input.report().sources[0] == "rows.csv");
  // An error names the input and the line, as for a file.
  RecordInput bad = RecordInput::from_memory(
      {InputText{"bad.csv", "customer_id,period,revenue\na,2024-13,1\n"}}, {});
  csm::ActivityAggregator other;
  CHECK_THROWS_WITH(bad.read(other), Catch::Contains("bad.csv:2: period:"));
}
