// Devices: IDevice (the interface every API takes), Device (one physical chip, with its
// allocator, program cache and dispatch state) and the host API that opens, runs and closes.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <vector>

#include "allocator.hpp"
#include "buffer.hpp"
#include "gen.hpp"
#include "program.hpp"

namespace tt::tt_metal {

class IDevice {
public:
    virtual ~IDevice();
    virtual ChipId id() const = 0;
    virtual bool is_initialized() const = 0;
    virtual DeviceAllocator* allocator() const = 0;  // nullptr where buffers cannot be placed
    virtual bool close() = 0;

protected:
    IDevice() = default;
};

class Device final : public IDevice {
public:
    explicit Device(ChipId id, const AllocatorConfig& config = AllocatorConfig{});
    ~Device() override;
    Device(const Device&) = delete;
    Device& operator=(const Device&) = delete;

    // Inline, like tt-metal's accessors: not exported, so the tracer reads id_ at its offset.
    ChipId id() const override { return id_; }
    bool is_initialized() const override { return initialized_; }
    DeviceAllocator* allocator() const override { return allocator_.get(); }

    // Clears the program cache, resets the allocator (bulk), drops the dispatch state.
    bool close() override;

    // Runs `program` (kernel binaries, CB layout, dispatch) and keeps it in the program cache
    // under `cache_key` until close. A key already cached must name the same program.
    void enqueue_program(const std::shared_ptr<Program>& program, std::uint64_t cache_key);
    std::shared_ptr<Program> find_cached_program(std::uint64_t cache_key) const;
    std::size_t num_cached_programs() const { return program_cache_.size(); }

private:
    friend struct DeviceLayoutProbe;  // unit/test_layout.cpp

    void register_leaky_cache_callback();
    void finish();

    std::unique_ptr<DeviceAllocator> allocator_;  // offset 8
#if TTSIM_GEN == 2026
    std::uint64_t build_key_;  // offset 16; keeps id_ at 24 as in the 2026 build
#endif
    ChipId id_;  // 2026: offset 24, mid 2025: offset 16
    bool initialized_ = false;
    std::map<std::uint64_t, std::shared_ptr<Program>> program_cache_;
    // Dispatch holds each running program's kernel binary until the program completes.
    std::vector<std::shared_ptr<Buffer>> kernel_binaries_in_flight_;
    // Program-cache callbacks (runtime-argument overrides) registered on cache misses.
    std::vector<std::function<void()>> cache_callbacks_;
    std::uint64_t cache_misses_ = 0;
};

// Opens a physical chip; throws if it is open already. The device pool (tt::DevicePool) keeps
// the Device object after close until the chip is opened again, so Buffers and Programs that
// outlive a close still see a live, closed device.
IDevice* CreateDevice(ChipId device_id);
// The same, sharing ownership with the pool: the object outlives a reopen of its chip as long
// as the caller holds it (MeshDevice does, for tensors that outlive their mesh's close).
std::shared_ptr<Device> OpenPhysicalDevice(ChipId device_id);
bool CloseDevice(IDevice* device);

// Runs a program on a physical device and caches it there (see Device::enqueue_program).
void EnqueueProgram(IDevice* device, const std::shared_ptr<Program>& program, std::uint64_t program_cache_key);

// The physical device behind an IDevice*; throws std::invalid_argument for a MeshDevice.
Device& physical_device(IDevice* device);

}  // namespace tt::tt_metal
