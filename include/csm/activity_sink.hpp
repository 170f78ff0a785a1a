#pragma once
/// Anything that takes activity records one at a time (io::RecordInput::read feeds one). The
/// monthly aggregation has its own faster path; other consumers (the at-risk history) use this.

#include "csm/record.hpp"

namespace csm {

class ActivitySink {
 public:
  virtual ~ActivitySink() = default;
  /// Take one record; its string views are valid only during the call.
  virtual void add(const ActivityRecord& record) = 0;
};

}  // namespace csm
