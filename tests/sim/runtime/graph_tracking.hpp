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
    virtual void track_deallocate_cb(const IDevice*) {}  // nullptr: the device-less mid-2025 report
    virtual void track_program(Program*, const IDevice*) {}
};

class GraphTracker {
public:
    static GraphTracker& instance();

    void track_allocate(const Buffer* buffer);  // end of Buffer allocation, address already set
    void track_deallocate(Buffer* buffer);      // start of Buffer deallocation, before the free
    void track_allocate_cb(const CoreRangeSet& core_range_set, std::uint64_t addr, std::uint64_t size,
                           bool is_globally_allocated, const IDevice* device);
#if TTSIM_GEN == 2026
    void track_deallocate_cb(const IDevice* device);  // no address, no size: "all CBs of this device"
    void track_program(Program* program, const IDevice* device);
#else
    void track_deallocate_cb();  // no device either: "all CBs"
    void track_program(Program* program);
#endif

    void push_processor(const std::shared_ptr<IGraphProcessor>& processor);
    void pop_processor();
    std::uint64_t num_events() const { return events_.load(); }

private:
    GraphTracker() = default;
    std::vector<std::shared_ptr<IGraphProcessor>> snapshot();

    std::mutex mutex_;
    std::vector<std::shared_ptr<IGraphProcessor>> processors_;
    std::atomic<std::uint64_t> events_{0};
};

}  // namespace tt::tt_metal
