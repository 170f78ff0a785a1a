// The private text-output module (src/io/text_output.hpp). Expected texts are worked out by hand
// from RFC 4180, the OWASP CSV-injection advice, RFC 8259 and the escaping rules of
// docs/reliability.md ("Output escaping").
#include "io/text_output.hpp"

#include <catch2/catch.hpp>
#include <string>

namespace text = csm::io::text;

TEST_CASE("text: CSV fields are quoted only when needed (RFC 4180)", "[io][text]") {
  CHECK(text::csv_field("plain") == "plain");
  CHECK(text::csv_field("") == "");
  CHECK(text::csv_field("a,b") == "\"a,b\"");
  CHECK(text::csv_field("say \"hi\"") == "\"say \"\"hi\"\"\"");
  CHECK(text::csv_field("two\nlines") == "\"two\nlines\"");
  CHECK(text::csv_field("cr\rhere") == "\"cr\rhere\"");
  CHECK(text::csv_field("a=b", true) == "a=b");  // only the first character counts
  CHECK_FALSE(text::csv_needs_change("cus_1", true));
  CHECK(text::csv_needs_change("a,b", false));
}

TEST_CASE("text: the formula guard neutralises = + - @ TAB CR the OWASP way", "[io][text]") {
  CHECK(text::csv_field("=1+1", true) == "\"'=1+1\"");
  CHECK(text::csv_field("+49 30 1234", true) == "\"'+49 30 1234\"");
  CHECK(text::csv_field("-5", true) == "\"'-5\"");
  CHECK(text::csv_field("@SUM(A1:A9)", true) == "\"'@SUM(A1:A9)\"");
  CHECK(text::csv_field("\tx", true) == "\"'\tx\"");
  CHECK(text::csv_field("\rx", true) == "\"'\rx\"");
  CHECK(text::csv_field("=HYPERLINK(\"http://x\",\"y\")", true) ==
        "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"");
  // Raw: as it is, quoted only for RFC 4180.
  CHECK(text::csv_field("=1+1", false) == "=1+1");
  CHECK(text::csv_field("\rx", false) == "\"\rx\"");
  CHECK(text::looks_like_formula("=x"));
  CHECK_FALSE(text::looks_like_formula(""));
  CHECK_FALSE(text::looks_like_formula("x=1"));
}

TEST_CASE("text: the group column tells the missing value from a literal (none)", "[io][text]") {
  CHECK(text::csv_group_field("", true) == "(none)");
  CHECK(text::csv_group_field("(none)", true) == "'(none)");
  CHECK(text::csv_group_field("(none)", false) == "'(none)");
  CHECK(text::csv_group_field("pro", true) == "pro");
  CHECK(text::csv_group_field("=cmd", true) == "\"'=cmd\"");
  CHECK(text::csv_group_field("=cmd", false) == "=cmd");
}

TEST_CASE("text: JSON strings are escaped and always valid UTF-8", "[io][text]") {
  CHECK(text::json_string("plain") == "\"plain\"");
  CHECK(text::json_string("a\"b\\c\n\r\t\x01\x1f") == "\"a\\\"b\\\\c\\n\\r\\t\\u0001\\u001f\"");
  CHECK(text::json_string(std::string("a\0b", 3)) == "\"a\\u0000b\"");
  CHECK(text::json_string("\x1b]0;X\x07") == "\"\\u001b]0;X\\u0007\"");
  CHECK(text::json_string("caf\xc3\xa9") == "\"caf\xc3\xa9\"");           // valid UTF-8 kept
  CHECK(text::json_string("bad\xff") == "\"bad\xef\xbf\xbd\"");           // one U+FFFD per bad byte
  CHECK(text::json_string("\xc3") == "\"\xef\xbf\xbd\"");                 // cut sequence
  CHECK(text::json_string("\xed\xa0\x80") ==                              // a surrogate: 3 bad bytes
        "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
  CHECK(text::json_string("\xe2\x80\xae") == "\"\xe2\x80\xae\"");         // U+202E is valid JSON
}

TEST_CASE("text: numbers", "[io][text]") {
  CHECK(text::number_text(0.1) == "0.1");
  CHECK(text::number_text(5.0) == "5");
  CHECK(text::number_text(-2.5) == "-2.5");
  CHECK(text::number_text(1e20) == "1e+20");
  CHECK(text::grouped_number(1234567.891, 2) == "1,234,567.89");
  CHECK(text::grouped_number(999, 0) == "999");
  CHECK(text::grouped_number(1000, 0) == "1,000");
  CHECK(text::grouped_number(-1234.4, 0) == "-1,234");
  CHECK(text::grouped_number(-0.001, 2) == "0.00");  // no "-0.00"
  CHECK(text::grouped_count(0) == "0");
  CHECK(text::grouped_count(100) == "100");
  CHECK(text::grouped_count(1234567) == "1,234,567");
  // Money in micro-units: 1,234,567.5 and -1,000.25, exact.
  CHECK(text::grouped_money(csm::MoneySum{1'234'567'500'000}) == "1,234,567.50");
  CHECK(text::grouped_money(csm::MoneySum{-1'000'250'000}) == "-1,000.25");
  CHECK(text::grouped_money(csm::MoneySum{1}) == "0.000001");
}

TEST_CASE("text: compact money keeps three significant digits", "[io][text]") {
  const csm::MoneySum m = 1'000'000;  // 1.00
  CHECK(text::compact_money(11'234'567 * m + 890'000, 20) == "11,234,567.89");  // fits
  CHECK(text::compact_money(11'234'567 * m + 890'000, 10) == "11.2M");
  CHECK(text::compact_money(987'654 * m, 6) == "988K");
  CHECK(text::compact_money(999'999 * m + 990'000, 6) == "1.00M");  // 999.99999K rounds up
  CHECK(text::compact_money(1'234 * m, 5) == "1.23K");
  CHECK(text::compact_money(-4'560'000'000'000 * m, 8) == "-4.56T");
  CHECK(text::compact_money(999 * m, 2) == "999.00");  // below 1,000: never shortened
  CHECK(text::compact_number(11'234'567.0, 2, 10) == "11.2M");
  CHECK(text::compact_number(1'234.0, 0, 5) == "1,234");
}

TEST_CASE("text: ASCII lower case", "[io][text]") {
  CHECK(text::ascii_lower("CSV-Json") == "csv-json");
  CHECK(text::ascii_lower("\xc3\x84Z") == "\xc3\x84z");  // non-ASCII bytes untouched
}

TEST_CASE("text: terminal text escapes controls the way messages do", "[io][text]") {
  CHECK(text::terminal_text("cus_001") == "cus_001");
  CHECK(text::terminal_text("\x1b]0;X\x07") == "\\x1b]0;X\\x07");
  CHECK(text::terminal_text("a\r\nb") == "a\\x0d\\x0ab");
  CHECK(text::terminal_text(std::string("a\0b", 3)) == "a\\x00b");
  CHECK(text::terminal_text("\x7f") == "\\x7f");
  CHECK(text::terminal_text("\xc2\x9b" "31m") == "\\u009b31m");  // C1 CSI
  CHECK(text::terminal_text("\xc2\x85") == "\\u0085");            // NEL
  CHECK(text::terminal_text("abc\xe2\x80\xae" "fed") == "abc\\u202efed");
  CHECK(text::terminal_text("\xe2\x80\xaa\xe2\x80\xab\xe2\x80\xac\xe2\x80\xad") ==
        "\\u202a\\u202b\\u202c\\u202d");
  CHECK(text::terminal_text("\xe2\x81\xa6\xe2\x81\xa7\xe2\x81\xa8\xe2\x81\xa9") ==
        "\\u2066\\u2067\\u2068\\u2069");
  CHECK(text::terminal_text("\xe2\x80\x8e\xe2\x80\x8f\xd8\x9c") == "\\u200e\\u200f\\u061c");
  CHECK(text::terminal_text("\xe2\x80\xa8") == "\\u2028");
  CHECK(text::terminal_text("caf\xc3\xa9 \xe4\xb8\xad") == "caf\xc3\xa9 \xe4\xb8\xad");  // kept
  CHECK(text::terminal_text("\xff") == "\\xff");
  CHECK(text::terminal_text("\xe2\x80") == "\\xe2\\x80");  // a cut sequence, byte by byte
  // The output never holds a byte below 0x20 or DEL.
  std::string all;
  for (int c = 0; c < 256; ++c) all.push_back(static_cast<char>(c));
  for (const char c : text::terminal_text(all)) {
    CHECK((static_cast<unsigned char>(c) >= 0x20 && c != 0x7f));
  }
}

TEST_CASE("text: bidi controls for other writers", "[io][text]") {
  CHECK(text::bidi_control_at("x\xe2\x80\xae", 1) == 0x202e);
  CHECK(text::bidi_control_at("x\xe2\x80\xae", 0) == 0);
  CHECK(text::bidi_control_at("\xd8\x9c", 0) == 0x061c);
  CHECK(text::bidi_control_at("\xe2\x82\xac", 0) == 0);  // the euro sign
  CHECK(text::bidi_control_at("\xe2\x80", 0) == 0);      // cut
}

TEST_CASE("text: display width and eliding the middle", "[io][text]") {
  CHECK(text::display_width("abc") == 3);
  CHECK(text::display_width("caf\xc3\xa9") == 4);
  CHECK(text::display_width("\xe4\xb8\xad") == 2);  // U+4E2D, wide
  CHECK(text::display_width("e\xcc\x81") == 1);     // e + combining acute
  CHECK(text::elide_middle("cus_0123456789abcdef", 12) == "cus_0...cdef");
  CHECK(text::elide_middle("cus_0123456789abcdef", 20) == "cus_0123456789abcdef");
  CHECK(text::elide_middle("short", 12) == "short");
  CHECK(text::elide_middle("abcdef", 3) == "...");
  // Six wide characters (12 columns) in 7: one on each side of the dots, never half of one.
  const std::string wide = "\xe4\xb8\xad\xe4\xb8\xad\xe4\xb8\xad\xe4\xb8\xad\xe4\xb8\xad\xe4\xb8\xad";
  CHECK(text::elide_middle(wide, 7) == "\xe4\xb8\xad...\xe4\xb8\xad");
  const std::string huge(100'000, 'x');
  CHECK(text::cell(huge, 32).size() == 32);
  CHECK(text::cell(huge + "\x1b[2J", 32) == std::string(15, 'x') + "..." + std::string(7, 'x') + "\\x1b[2J");
  CHECK(text::pad_right("\xe4\xb8\xad", 4) == "\xe4\xb8\xad  ");
  CHECK(text::pad_left("ab", 4) == "  ab");
  CHECK(text::pad_left("abcdef", 4) == "abcdef");
}

TEST_CASE("text: group labels and messages", "[io][text]") {
  CHECK(text::group_label("") == "(none)");
  CHECK(text::group_label("(none)") == "\"(none)\"");
  CHECK(text::group_label("\"(none)\"") == "\"\\\"(none)\\\"\"");
  CHECK(text::group_label("pro") == "pro");
  CHECK(text::group_label("a\nb") == "a\\x0ab");
  // 49 columns once escaped: cut to 40, 19 before the dots and 18 after.
  CHECK(text::group_label("x\ncsm-metrics: all clear, no threshold crossed") ==
        "x\\x0acsm-metrics: a... threshold crossed");
  CHECK(text::display_width(text::group_label(std::string(5000, 'g'))) == 40);
  CHECK(text::message_text(std::string(1'000'000, 'c')).size() == 40);
}

TEST_CASE("text: wrapping to a width", "[io][text]") {
  CHECK(text::wrap("aaa bbb ccc", 7, "w: ", "  ") == "w: aaa\n  bbb\n  ccc\n");
  CHECK(text::wrap("aaa bbb", 80, "w: ", "  ") == "w: aaa bbb\n");
  CHECK(text::wrap("abcdefghij", 6, "", "") == "abcdef\nghij\n");  // a word longer than a line
  CHECK(text::wrap("a  b", 80, "", "") == "a b\n");
  CHECK(text::wrap("", 10, "x:", "") == "x:\n");
}

TEST_CASE("text: the JSON envelope of every command, in order", "[io][text]") {
  // docs/cli.md, "JSON output": tool, version, command, kind (null when no records are read).
  CHECK(text::envelope_lines({"1.2.3", "at-risk", "activity"}) ==
        "  \"tool\": \"csm-metrics\",\n  \"version\": \"1.2.3\",\n  \"command\": \"at-risk\",\n"
        "  \"kind\": \"activity\",\n");
  CHECK(text::envelope_lines({"1.2.3", "calc", std::nullopt}, "") ==
        "\"tool\": \"csm-metrics\",\n\"version\": \"1.2.3\",\n\"command\": \"calc\",\n\"kind\": null,\n");
  const auto members = text::envelope_members({"1.2.3", "rfm", "transaction"});
  REQUIRE(members.size() == 4);
  CHECK(members[0].first == "tool");
  CHECK(members[3].first == "kind");
  CHECK(members[3].second == std::optional<std::string_view>("transaction"));
}
