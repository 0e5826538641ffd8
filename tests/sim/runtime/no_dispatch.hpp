// ttnn's graph capture in NO_DISPATCH mode (query_op_constraints, graph capture without a
// device run): a GraphTracker hook under which buffers get address 0 and no allocator call.
// Not a tt-metal class; the simulation's way to run allocations "hooked".
#pragma once

#include <memory>

namespace ttsim {

class NoDispatchScope {
public:
    NoDispatchScope();   // installs the hook; throws std::logic_error if one is installed
    ~NoDispatchScope();  // removes it
    NoDispatchScope(const NoDispatchScope&) = delete;
    NoDispatchScope& operator=(const NoDispatchScope&) = delete;
};

}  // namespace ttsim
