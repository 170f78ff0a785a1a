#include "csm/io/csv_reader.hpp"

#include <cstring>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <string>

#include "csm/error.hpp"
#include "csm/io/utf8.hpp"

namespace csm::io {
namespace {

// A field found by the scanner: a range of the buffer, or of the unquoting scratch space when the
// field had doubled quotes. Views are made only once the record is complete, because the scratch
// string may move while it grows.
struct FieldRange {
  std::size_t begin;
  std::size_t size;
  bool in_scratch;
  bool quoted;
};

// True when the bytes are ASCII without NUL: then they are valid UTF-8 as they stand.
bool plain_ascii(const char* p, std::size_t n) noexcept {
  std::size_t i = 0;
  std::uint64_t bad = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t word;
    std::memcpy(&word, p + i, 8);
    bad |= (word | ((word - 0x0101010101010101ull) & ~word)) & 0x8080808080808080ull;
  }
  for (; i < n; ++i) {
    const auto c = static_cast<unsigned char>(p[i]);
    bad |= (c >= 0x80 || c == 0) ? 1u : 0u;
  }
  return bad == 0;
}

bool is_blank(std::string_view text) noexcept {
  return text.find_first_not_of(" \t") == std::string_view::npos;
}

}  // namespace

CsvReader::CsvReader(const ColumnMap& columns, RowConsumer& consumer, std::string source_name,
                     char delimiter)
    : columns_(columns),
      consumer_(consumer),
      source_(std::move(source_name)),
      delimiter_(delimiter),
      cells_(columns.size()) {}

CsvReader::CsvReader(const CsvReader& header_reader, RowConsumer& consumer, std::uint64_t start)
    : columns_(header_reader.columns_),
      consumer_(consumer),
      source_(header_reader.source_),
      delimiter_(header_reader.delimiter_),
      header_done_(true),
      offset_(start),
      bom_checked_(true),
      field_count_(header_reader.field_count_),
      slot_of_field_(header_reader.slot_of_field_),
      cells_(header_reader.columns_.size()) {}

std::size_t CsvReader::parse(std::string_view buffer, bool at_end) {
  const std::size_t used = parse_records(buffer, at_end);
  offset_ += used;
  return used;
}

std::size_t CsvReader::parse_records(std::string_view buffer, bool at_end) {
  std::size_t pos = 0;
  if (!bom_checked_) {
    if (buffer.size() < 3 && !at_end) return 0;
    if (buffer.size() >= 2 && ((buffer[0] == '\xff' && buffer[1] == '\xfe') ||
                               (buffer[0] == '\xfe' && buffer[1] == '\xff'))) {
      throw InputError(source_, 1, "", "the file is UTF-16; expected UTF-8 (convert it, e.g. with iconv -f UTF-16 -t UTF-8)");
    }
    if (buffer.substr(0, 3) == "\xef\xbb\xbf") pos = 3;
    bom_checked_ = true;
  }

  thread_local std::vector<FieldRange> ranges;
  const char* const data = buffer.data();
  const std::size_t size = buffer.size();
  const char delim = delimiter_;

  while (pos < size) {
    if (offset_ + pos >= stop_at_ || (stop_after_header_ && header_done_)) {
      stopped_ = true;
      return pos;
    }
    const std::size_t record_start = pos;
    const std::uint64_t record_line = line_;
    if (header_done_ && data[pos] != '\n' && data[pos] != '\r') {
      const std::size_t next = parse_simple_record(buffer, pos, at_end);
      if (next == kNeedMore) return record_start;
      if (next != kNotSimple) {
        pos = next;
        continue;
      }
    }
    std::uint64_t newlines = 0;
    ranges.clear();
    unquoted_.clear();
    std::size_t p = pos;
    bool complete = false;
    bool any_quoted = false;

    for (;;) {  // one field per iteration
      if (p < size && data[p] == '"') {
        any_quoted = true;
        const std::uint64_t quote_line = record_line + newlines;
        ++p;
        std::size_t begin = p;
        bool scratch = false;
        std::size_t scratch_begin = 0;
        bool closed = false;
        while (p < size) {
          const char* q = static_cast<const char*>(std::memchr(data + p, '"', size - p));
          const std::size_t stop = q ? static_cast<std::size_t>(q - data) : size;
          for (std::size_t k = p; k < stop; ++k) newlines += data[k] == '\n';
          if (!q) {
            p = size;
            break;
          }
          if (stop + 1 < size && data[stop + 1] == '"') {  // doubled quote: one literal quote
            if (!scratch) {
              scratch = true;
              scratch_begin = unquoted_.size();
            }
            unquoted_.append(data + begin, stop + 1 - begin);
            p = stop + 2;
            begin = p;
            continue;
          }
          if (stop + 1 >= size && !at_end) {  // cannot tell "" from a closing quote yet
            p = size;
            break;
          }
          if (scratch) unquoted_.append(data + begin, stop - begin);
          ranges.push_back(scratch ? FieldRange{scratch_begin, unquoted_.size() - scratch_begin,
                                                true, true}
                                   : FieldRange{begin, stop - begin, false, true});
          p = stop + 1;
          closed = true;
          break;
        }
        if (!closed) {
          if (at_end) {
            throw InputError(source_, quote_line, "",
                             "unterminated quoted field: expected a closing '\"' before the end "
                             "of the input");
          }
          break;  // need more bytes
        }
        if (p < size && data[p] == delim) {
          ++p;
          continue;
        }
        if (p < size && data[p] == '\n') {
          ++p;
          ++newlines;
          complete = true;
          break;
        }
        if (p + 1 < size && data[p] == '\r' && data[p + 1] == '\n') {
          p += 2;
          ++newlines;
          complete = true;
          break;
        }
        if (p >= size || (p + 1 >= size && data[p] == '\r')) {
          if (at_end) {
            p = size;
            complete = true;
          }
          break;
        }
        throw InputError(source_, record_line + newlines, "",
                         "unexpected " + quote_for_message(std::string_view(data + p, 1)) +
                             " after a closing quote: expected a delimiter or the end of the line");
      }

      // Unquoted field: runs to the delimiter or the end of the line.
      const std::size_t begin = p;
      while (p < size && data[p] != delim && data[p] != '\n') ++p;
      if (p < size && data[p] == delim) {
        ranges.push_back(FieldRange{begin, p - begin, false, false});
        ++p;
        continue;
      }
      if (p < size) {  // '\n'
        std::size_t end = p;
        if (end > begin && data[end - 1] == '\r') --end;
        ranges.push_back(FieldRange{begin, end - begin, false, false});
        ++p;
        ++newlines;
        complete = true;
        break;
      }
      if (at_end) {
        std::size_t end = p;
        if (end > begin && data[end - 1] == '\r') --end;
        ranges.push_back(FieldRange{begin, end - begin, false, false});
        complete = true;
      }
      break;
    }

    // Checked on complete records too, so that the limit does not depend on how the input was
    // cut into reads (the caller's buffer may hold more than kMaxRecordBytes).
    if (size - record_start > kMaxRecordBytes && (!complete || p - record_start > kMaxRecordBytes)) {
      throw InputError(source_, record_line, "",
                       "record longer than " + std::to_string(kMaxRecordBytes >> 20) +
                           " MiB: expected a line break (is this a CSV file?)");
    }
    if (!complete) return record_start;
    pos = p;
    line_ = record_line + newlines;

    // A blank line (or one of spaces only) is no record.
    if (ranges.size() == 1 && !any_quoted && is_blank(std::string_view(data + ranges[0].begin, ranges[0].size))) {
      continue;
    }

    fields_.clear();
    for (const FieldRange& r : ranges) {
      fields_.push_back(r.in_scratch ? std::string_view(unquoted_).substr(r.begin, r.size)
                                     : std::string_view(data + r.begin, r.size));
    }
    record_text_ = std::string_view(data + record_start, p - record_start);
    if (!header_done_) {
      on_header(fields_, record_line);
    } else {
      on_record(fields_, record_line);
    }
  }
  return pos;
}

// The common case, without quotes: fields go straight into their cells. Anything unusual (a
// quote at the start of a field, a wrong number of fields, a blank line, bytes that need a UTF-8
// check) returns kNotSimple, and the general parser takes the record from its start.
std::size_t CsvReader::parse_simple_record(std::string_view buffer, std::size_t pos, bool at_end) {
  const char* const data = buffer.data();
  const std::size_t size = buffer.size();
  const char delim = delimiter_;
#if defined(__SSE2__)
  // Most records are shorter than 64 bytes: find every separator of the record at once, as bit
  // masks over the next 64 bytes, and cut the fields from the bits.
  if (pos + 64 <= size) {
    std::uint64_t separators = 0;
    std::uint64_t newlines = 0;
    std::uint64_t quotes = 0;
    std::uint64_t unusual = 0;  // non-ASCII or NUL: the general path checks UTF-8
    const __m128i d = _mm_set1_epi8(delim);
    const __m128i nl = _mm_set1_epi8('\n');
    const __m128i q = _mm_set1_epi8('"');
    const __m128i zero = _mm_setzero_si128();
    for (int k = 0; k < 4; ++k) {
      const __m128i chunk = _mm_loadu_si128(reinterpret_cast<const __m128i*>(data + pos + 16 * k));
      const auto bits = [](__m128i v) {
        return static_cast<std::uint64_t>(static_cast<unsigned>(_mm_movemask_epi8(v)));
      };
      separators |= bits(_mm_cmpeq_epi8(chunk, d)) << (16 * k);
      newlines |= bits(_mm_cmpeq_epi8(chunk, nl)) << (16 * k);
      quotes |= bits(_mm_cmpeq_epi8(chunk, q)) << (16 * k);
      unusual |= (bits(chunk) | bits(_mm_cmpeq_epi8(chunk, zero))) << (16 * k);
    }
    if (newlines != 0) {
      const int end_bit = __builtin_ctzll(newlines);
      const std::uint64_t within = end_bit == 63 ? ~std::uint64_t{0} : (std::uint64_t{2} << end_bit) - 1;
      if (((quotes | unusual) & within) != 0) return kNotSimple;
      std::uint64_t cuts = (separators & within) | (std::uint64_t{1} << end_bit);
      std::size_t field = 0;
      std::size_t begin = pos;
      while (cuts != 0) {
        const std::size_t at = pos + static_cast<std::size_t>(__builtin_ctzll(cuts));
        cuts &= cuts - 1;
        std::size_t end = at;
        if (cuts == 0 && end > begin && data[end - 1] == '\r') --end;
        if (field < field_count_) {
          const std::size_t slot = slot_of_field_[field];
          if (slot != ColumnMap::npos) {
            cells_[slot] = Cell{std::string_view(data + begin, end - begin), CellType::text};
          }
        }
        ++field;
        begin = at + 1;
      }
      if (field != field_count_ || field == 1) return kNotSimple;
      const std::uint64_t record_line = line_++;
      ++records_;
      record_text_ = std::string_view(data + pos, static_cast<std::size_t>(end_bit) + 1);
      consumer_.row(cells_, Location{source_, record_line});
      return pos + static_cast<std::size_t>(end_bit) + 1;
    }
  }
#endif
  std::size_t field = 0;
  std::size_t p = pos;
  bool line_break = false;
  for (;;) {
    if (p < size && data[p] == '"') return kNotSimple;
    const std::size_t begin = p;
    while (p < size && data[p] != delim && data[p] != '\n') ++p;
    if (p == size && !at_end) {
      return size - pos > kMaxRecordBytes ? kNotSimple : kNeedMore;
    }
    const bool last = p == size || data[p] == '\n';
    std::size_t end = p;
    if (last && end > begin && data[end - 1] == '\r') --end;
    if (field < field_count_) {
      const std::size_t slot = slot_of_field_[field];
      if (slot != ColumnMap::npos) cells_[slot] = Cell{std::string_view(data + begin, end - begin), CellType::text};
    }
    ++field;
    if (!last) {
      ++p;
      continue;
    }
    if (p < size) {
      ++p;
      line_break = true;
    }
    break;
  }
  if (field != field_count_ || field == 1 || p - pos > kMaxRecordBytes ||
      !plain_ascii(data + pos, p - pos)) {
    return kNotSimple;
  }
  const std::uint64_t record_line = line_;
  if (line_break) ++line_;
  ++records_;
  record_text_ = std::string_view(data + pos, p - pos);
  consumer_.row(cells_, Location{source_, record_line});
  return p;
}

void CsvReader::on_header(const std::vector<std::string_view>& fields, std::uint64_t line) {
  header_done_ = true;
  field_count_ = fields.size();
  header_fields_.assign(fields.begin(), fields.end());
  slot_of_field_.assign(fields.size(), ColumnMap::npos);
  std::vector<std::size_t> field_of_slot(columns_.size(), ColumnMap::npos);
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (const auto bad = first_invalid_utf8(fields[i]); bad != std::string_view::npos) {
      throw InputError(source_, line, "",
                       "header field " + std::to_string(i + 1) + ": " + describe_invalid_text(fields[i], bad));
    }
    const std::size_t slot = columns_.find(fields[i]);
    if (slot == ColumnMap::npos) continue;
    if (field_of_slot[slot] != ColumnMap::npos) {
      throw InputError(source_, line, "",
                       "duplicate column " + quote_for_message(columns_.display_name(slot)) +
                           " (fields " + std::to_string(field_of_slot[slot] + 1) + " and " +
                           std::to_string(i + 1) + ")");
    }
    field_of_slot[slot] = i;
    slot_of_field_[i] = slot;
  }
  for (std::size_t slot = 0; slot < columns_.size(); ++slot) {
    if (columns_.spec(slot).required && field_of_slot[slot] == ColumnMap::npos) {
      std::string found;
      for (std::size_t i = 0; i < fields.size() && i < 12; ++i) {
        found += (i ? ", " : "") + std::string(fields[i].substr(0, 40));
      }
      if (fields.size() > 12) found += ", ...";
      const std::string message =
          "missing required column " + quote_for_message(columns_.display_name(slot)) +
          " (the header has: " + found + "; map another column with --column " +
          columns_.spec(slot).name + "=NAME)";
      throw InputError(source_, line, "", message);
    }
  }
}

void CsvReader::on_record(const std::vector<std::string_view>& fields, std::uint64_t line) {
  if (fields.size() != field_count_) {
    consumer_.reject(InputError(source_, line, "",
                                "expected " + std::to_string(field_count_) +
                                    " fields as in the header, found " +
                                    std::to_string(fields.size())));
    return;
  }
  // A byte-order mark is only valid at the start of the file; at the start of a line it is what
  // `cat a.csv b.csv` leaves, and read as part of an id it would make a second customer.
  if (fields[0].substr(0, 3) == kMidFileBom) {
    consumer_.reject(InputError(source_, line, "", kMidFileBomMessage));
    return;
  }
  for (Cell& cell : cells_) cell = Cell{};
  for (std::size_t i = 0; i < fields.size(); ++i) {
    const std::size_t slot = slot_of_field_[i];
    if (slot == ColumnMap::npos) continue;
    if (const auto bad = first_invalid_utf8(fields[i]); bad != std::string_view::npos) {
      consumer_.reject(InputError(source_, line, columns_.display_name(slot),
                                  describe_invalid_text(fields[i], bad)));
      return;
    }
    cells_[slot] = Cell{fields[i], CellType::text};
  }
  ++records_;
  consumer_.row(cells_, Location{source_, line});
}

std::vector<std::string_view> CsvReader::raw_fields(std::string_view record, char delimiter) {
  std::vector<std::string_view> fields;
  std::size_t p = 0;
  for (;;) {
    const std::size_t begin = p;
    if (p < record.size() && record[p] == '"') {
      ++p;
      while (p < record.size()) {  // to the closing quote; "" is a literal quote
        if (record[p] == '"' && p + 1 < record.size() && record[p + 1] == '"') {
          p += 2;
        } else if (record[p] == '"') {
          ++p;
          break;
        } else {
          ++p;
        }
      }
    }
    while (p < record.size() && record[p] != delimiter) ++p;
    fields.push_back(record.substr(begin, p - begin));
    if (p == record.size()) return fields;
    ++p;
  }
}

}  // namespace csm::io
