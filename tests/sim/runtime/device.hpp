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
#include "ledger.hpp"
#include "program.hpp"

namespace tt::tt_metal {

// Its out-of-line destructor makes this file emit (and export) the vtable, as upstream.
class IDevice {
public:
    virtual ~IDevice();
    virtual int id() const = 0;
    virtual bool is_initialized() const = 0;
    virtual DeviceAllocator* allocator_impl() const = 0;  // nullptr once closed
    virtual bool close() = 0;
    virtual bool is_mesh() const = 0;  // the simulation's way to name a device in the ledger

protected:
    IDevice() = default;
};

class Device final : public IDevice {
public:
    explicit Device(ChipId id, const AllocatorConfig& config = AllocatorConfig{});
    ~Device() override;
    Device(const Device&) = delete;
    Device& operator=(const Device&) = delete;

    // Inline virtual, as in device_impl.hpp: with -fvisibility-inlines-hidden it is only in
    // .symtab, so the tracer reads id_ at its offset (8 in E1-E3, 24 from E4).
    int id() const override { return id_; }
    bool is_initialized() const override { return initialized_; }
    DeviceAllocator* allocator_impl() const override { return allocator_.get(); }
    bool is_mesh() const override { return false; }

    // Clears the program cache, resets the allocator the era's way, drops the dispatch state.
    bool close() override;

    // Runs `program` (kernel binary, CB layout, dispatch) and keeps it in the program cache
    // under `cache_key` until close. A key already cached must name the same program.
    void enqueue_program(const std::shared_ptr<Program>& program, std::uint64_t cache_key);
    std::shared_ptr<Program> find_cached_program(std::uint64_t cache_key) const;
    std::size_t num_cached_programs() const { return program_cache_.size(); }

private:
    friend struct DeviceLayoutProbe;  // unit/test_layout.cpp

    void reset_allocator();
    void register_leaky_cache_callback();
    void finish();

#if TTSIM_API >= 4
    void* context_ = nullptr;  // MetalContext& and MetalEnv* come first from d02dc4a3 on
    void* env_ = nullptr;
#endif
    ChipId id_;  // E1-E3: offset 8, E4-E5: offset 24
    std::unique_ptr<DeviceAllocator> allocator_;
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
// as the caller holds it (a MeshDevice does).
std::shared_ptr<Device> OpenPhysicalDevice(ChipId device_id);
bool CloseDevice(IDevice* device);

// Runs a program on a physical device and caches it there (see Device::enqueue_program).
void EnqueueProgram(IDevice* device, const std::shared_ptr<Program>& program, std::uint64_t program_cache_key);

// The physical device behind an IDevice*; throws std::invalid_argument for a MeshDevice.
Device& physical_device(IDevice* device);

// A scratch buffer an op's cache callback captures on a cache miss (the cache_callback leak);
// DRAM 32 KiB and L1 4 KiB alternate. Not a tt-metal function.
std::shared_ptr<Buffer> create_cache_callback_scratch(IDevice* device, std::uint64_t miss);

}  // namespace tt::tt_metal

namespace ttsim {
// How the ledger names a device: chip:<Device::id()> or mesh:<MeshDevice::id()>.
DevKey dev_key(const tt::tt_metal::IDevice* device);
}  // namespace ttsim
