#include "graph_tracking.hpp"

#include "device.hpp"

#include <stdexcept>

namespace tt::tt_metal {

// Out of line, like every function here: the tracer probes instance() too.
TTSIM_PROBED GraphTracker& GraphTracker::instance() {
    static GraphTracker* const tracker = new GraphTracker;  // outlives static destructors at exit
    return *tracker;
}

// Processors are called outside the lock so that one may allocate from its callback.
// Every track_* first returns when no processor is installed, unlocked, as upstream does
// (tt_metal/impl/graph/graph_tracking.cpp at a8c5af0f5a: `if (processors.empty()) return;`,
// with no lock at all): so a release build starts each of them with a load and a compare
// of the vector's begin and end, which is what the tracer's probes land on.
std::vector<std::shared_ptr<IGraphProcessor>> GraphTracker::snapshot() {
    events_.fetch_add(1, std::memory_order_relaxed);
    std::lock_guard<std::mutex> lock(mutex_);
    return processors_;
}

void GraphTracker::push_processor(const std::shared_ptr<IGraphProcessor>& processor) {
    std::lock_guard<std::mutex> lock(mutex_);
    processors_.push_back(processor);
}

void GraphTracker::pop_processor() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!processors_.empty()) {
        processors_.pop_back();
    }
}

TTSIM_PROBED void GraphTracker::track_allocate(const Buffer* buffer) {
    if (processors_.empty()) {
        return;
    }
    for (const auto& p : snapshot()) {
        p->track_allocate(buffer);
    }
}

TTSIM_PROBED void GraphTracker::track_deallocate(Buffer* buffer) {
    if (processors_.empty()) {
        return;
    }
    for (const auto& p : snapshot()) {
        p->track_deallocate(buffer);
    }
}

TTSIM_PROBED void GraphTracker::track_allocate_cb(const CoreRangeSet& core_range_set, std::uint64_t addr,
                                                  std::uint64_t size, bool is_globally_allocated,
                                                  const IDevice* device) {
    if (processors_.empty()) {
        return;
    }
    for (const auto& p : snapshot()) {
        p->track_allocate_cb(core_range_set, addr, size, is_globally_allocated, device);
    }
}

TTSIM_PROBED void GraphTracker::track_deallocate_cb(const IDevice* device) {
    if (processors_.empty()) {
        return;
    }
    for (const auto& p : snapshot()) {
        p->track_deallocate_cb(device);
    }
}

TTSIM_PROBED void GraphTracker::track_program(Program* program, const IDevice* device) {
    if (processors_.empty()) {
        return;
    }
    for (const auto& p : snapshot()) {
        p->track_program(program, device);
    }
}

std::shared_ptr<IGraphHooks> GraphTracker::current_hook() {
    std::lock_guard<std::mutex> lock(mutex_);
    return hook_;
}

TTSIM_PROBED bool GraphTracker::hook_allocate(const Buffer* buffer) {
    const auto hook = current_hook();
    return hook && hook->hook_allocate(buffer);
}

TTSIM_PROBED bool GraphTracker::hook_deallocate(Buffer* buffer) {
    const auto hook = current_hook();
    return hook && hook->hook_deallocate(buffer);
}

void GraphTracker::push_hook(const std::shared_ptr<IGraphHooks>& hook) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (hook_) {
        throw std::logic_error("GraphTracker: a hook is already installed");
    }
    hook_ = hook;
}

void GraphTracker::pop_hook() {
    std::lock_guard<std::mutex> lock(mutex_);
    hook_.reset();
}

}  // namespace tt::tt_metal
