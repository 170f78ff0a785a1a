#pragma once
/// A text handed out in pieces, in order, so that a large output (millions of lines) is written
/// as it is made instead of being held whole.

#include <functional>
#include <string_view>

namespace csm::io {

/// Receives a text in pieces, in order.
using TextSink = std::function<void(std::string_view)>;

}  // namespace csm::io
