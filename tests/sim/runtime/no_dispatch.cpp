#include "no_dispatch.hpp"

#include "graph_tracking.hpp"

namespace ttsim {
namespace {

// Says yes to every allocation and deallocation, as GraphProcessor's hooks do in NO_DISPATCH.
class NoDispatchHook final : public tt::tt_metal::IGraphHooks {
public:
    bool hook_allocate(const tt::tt_metal::Buffer*) override { return true; }
    bool hook_deallocate(tt::tt_metal::Buffer*) override { return true; }
};

}  // namespace

NoDispatchScope::NoDispatchScope() {
    tt::tt_metal::GraphTracker::instance().push_hook(std::make_shared<NoDispatchHook>());
}

NoDispatchScope::~NoDispatchScope() { tt::tt_metal::GraphTracker::instance().pop_hook(); }

}  // namespace ttsim
