// tt::tt_metal::GraphTracker: the runtime's own allocation-event hub, called on every buffer
// and CB event. Its track_* functions are the tracer's main probe points. Listeners
// (IGraphProcessor, as in ttnn graph capture) are how unit tests observe the call order.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "core_coord.hpp"
#include "gen.hpp"

namespace tt::tt_metal {

class Buffer;
class IDevice;
class Program;

class IGraphProcessor {
public:
    virtual ~IGraphProcessor() = default;
    virtual void track_allocate(const Buffer*) {}
    virtual void track_deallocate(Buffer*) {}
    virtual void track_allocate_cb(const CoreRangeSet&, std::uint64_t, std::uint64_t, bool, const IDevice*) {}
    virtual void track_deallocate_cb(const IDevice*) {}
    virtual void track_program(Program*, const IDevice*) {}
};

// IGraphHooks, as ttnn's graph capture in NO_DISPATCH mode installs: while a hook says so,
// buffers are not really allocated (graph_tracking.hpp, every era here).
class IGraphHooks {
public:
    virtual ~IGraphHooks() = default;
    virtual bool hook_allocate(const Buffer* buffer) = 0;
    virtual bool hook_deallocate(Buffer* buffer) = 0;
};

class GraphTracker {
public:
    static GraphTracker& instance();

    void track_allocate(const Buffer* buffer);  // end of Buffer allocation, address already set
    void track_deallocate(Buffer* buffer);      // start of Buffer deallocation, before the free
    void track_allocate_cb(const CoreRangeSet& core_range_set, std::uint64_t addr, std::uint64_t size,
                           bool is_globally_allocated, const IDevice* device);
    // No address, no size: "all CBs of this program on this device". Declared in every era;
    // called only from E5 on (a2db301f).
    void track_deallocate_cb(const IDevice* device);
    void track_program(Program* program, const IDevice* device);
    bool hook_allocate(const Buffer* buffer);  // true: do not allocate
    bool hook_deallocate(Buffer* buffer);      // true: do not free

    void push_hook(const std::shared_ptr<IGraphHooks>& hook);
    void pop_hook();

    void push_processor(const std::shared_ptr<IGraphProcessor>& processor);
    void pop_processor();
    std::uint64_t num_events() const { return events_.load(); }

private:
    GraphTracker() = default;
    std::vector<std::shared_ptr<IGraphProcessor>> snapshot();
    std::shared_ptr<IGraphHooks> current_hook();

    std::mutex mutex_;
    std::vector<std::shared_ptr<IGraphProcessor>> processors_;
    std::shared_ptr<IGraphHooks> hook_;
    std::atomic<std::uint64_t> events_{0};
};

}  // namespace tt::tt_metal
