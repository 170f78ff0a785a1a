#pragma once
/// Anything that takes activity records one at a time (io::RecordInput::read feeds one). The
/// monthly aggregation has its own faster path; other consumers (the at-risk history) use this.

#include "csm/month.hpp"
#include "csm/record.hpp"

namespace csm {

class ActivitySink {
 public:
  virtual ~ActivitySink() = default;
  /// Take one record; its string views are valid only during the call.
  virtual void add(const ActivityRecord& record) = 0;
  /// The input's range of months is at least first .. last, also where no record falls
  /// (subscription records end their range at --until or at the latest end month). Default: ignored.
  virtual void extend_range(YearMonth /*first*/, YearMonth /*last*/) {}
};

}  // namespace csm
