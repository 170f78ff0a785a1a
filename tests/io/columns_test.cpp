#include "csm/io/columns.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace {

using csm::io::ColumnMap;
using csm::io::ColumnSpec;

ColumnMap activity_like() {
  return ColumnMap({ColumnSpec{"customer_id", true}, ColumnSpec{"period", true},
                    ColumnSpec{"revenue", true}, ColumnSpec{"csat", false}});
}

}  // namespace

TEST_CASE("columns: slots follow the spec order and keep required flags", "[io][columns]") {
  const ColumnMap map = activity_like();
  REQUIRE(map.size() == 4);
  CHECK(map.spec(0).name == "customer_id");
  CHECK(map.spec(0).required);
  CHECK(map.spec(2).name == "revenue");
  CHECK(map.spec(3).name == "csat");
  CHECK_FALSE(map.spec(3).required);
  CHECK(map.display_name(1) == "period");
}

TEST_CASE("columns: names match case-insensitively, surrounding spaces and tabs ignored",
          "[io][columns]") {
  const ColumnMap map = activity_like();
  CHECK(map.find("customer_id") == 0);
  CHECK(map.find("Customer_ID") == 0);
  CHECK(map.find("  CUSTOMER_ID ") == 0);
  CHECK(map.find("\tRevenue\t") == 2);
  CHECK(map.find("csat") == 3);
}

TEST_CASE("columns: unknown, partial and inner-space names are not found", "[io][columns]") {
  const ColumnMap map = activity_like();
  CHECK(map.find("mrr") == ColumnMap::npos);
  CHECK(map.find("") == ColumnMap::npos);
  CHECK(map.find("customer") == ColumnMap::npos);
  CHECK(map.find("customer_id2") == ColumnMap::npos);
  CHECK(map.find("customer id") == ColumnMap::npos);
  CHECK(map.find("revenue,") == ColumnMap::npos);
}

TEST_CASE("columns: a rename replaces the looked-for name", "[io][columns]") {
  ColumnMap map = activity_like();
  REQUIRE(map.rename("revenue", "MRR"));
  CHECK(map.find("mrr") == 2);
  CHECK(map.find(" MRR ") == 2);
  // The canonical name is no longer a match once renamed: that column of the input is ignored.
  CHECK(map.find("revenue") == ColumnMap::npos);
  CHECK(map.spec(2).name == "revenue");
  // Other columns are untouched.
  CHECK(map.find("period") == 1);
}

TEST_CASE("columns: rename takes the canonical name case-insensitively", "[io][columns]") {
  ColumnMap map = activity_like();
  REQUIRE(map.rename(" Customer_ID ", "Account Number"));
  CHECK(map.find("account number") == 0);
  CHECK(map.find("ACCOUNT NUMBER") == 0);
}

TEST_CASE("columns: rename of a column the kind does not have is refused", "[io][columns]") {
  ColumnMap map = activity_like();
  CHECK_FALSE(map.rename("customers_start", "start"));
  CHECK_FALSE(map.rename("", "x"));
  // Nothing changed.
  CHECK(map.find("revenue") == 2);
  CHECK(map.find("start") == ColumnMap::npos);
}

TEST_CASE("columns: display name is the input name as the user spelled it", "[io][columns]") {
  // The header comment: "the renamed input name when renamed". The user typed --column revenue=MRR
  // and the file's header says MRR, so messages should say MRR, not mrr.
  ColumnMap map = activity_like();
  REQUIRE(map.rename("revenue", "MRR"));
  CHECK(map.display_name(2) == "MRR");
}
