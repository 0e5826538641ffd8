#include "device.hpp"

#include <mutex>
#include <stdexcept>
#include <string>

#include "config.hpp"
#include "graph_tracking.hpp"
#include "ledger.hpp"

namespace tt::tt_metal {
namespace {

// tt::DevicePool: the latest Device object of each chip, replaced when the chip is reopened.
class DevicePool {
public:
    static DevicePool& instance() {
        static DevicePool* const pool = new DevicePool;  // never destroyed: no teardown at exit
        return *pool;
    }

    std::shared_ptr<Device> open(ChipId chip) {
        ttsim::start_runtime();
        std::lock_guard<std::mutex> lock(mutex_);
        std::shared_ptr<Device>& slot = devices_[chip];
        if (slot && slot->is_initialized()) {
            throw std::logic_error("CreateDevice: chip " + std::to_string(chip) + " is already open");
        }
        slot = std::make_shared<Device>(chip);
        return slot;
    }

private:
    std::mutex mutex_;
    std::map<ChipId, std::shared_ptr<Device>> devices_;
};

}  // namespace

IDevice::~IDevice() = default;

Device::Device(ChipId id, const AllocatorConfig& config)
    : id_(id), allocator_(std::make_unique<DeviceAllocator>(config)), initialized_(true) {
    ttsim::Ledger::instance().device_open(ttsim::dev_key(this), this);
}

Device::~Device() {
    if (initialized_) {
        close();
    }
}

// Device::close (device.cpp of each era): disable_and_clear_program_cache(), then the
// allocator goes, then dispatch state; initialized_ drops last.
TTSIM_PROBED bool Device::close() {
    if (!initialized_) {
        return false;
    }
    // Cached programs go in key order: E5 reports their CBs deallocated, and their kernel
    // binaries are freed unless dispatch still holds them.
    while (!program_cache_.empty()) {
        program_cache_.extract(program_cache_.begin());
    }
    reset_allocator();
    // Dispatch state goes with the device open no more: what it still holds was reclaimed
    // above and is forgotten, not freed.
    initialized_ = false;
    kernel_binaries_in_flight_.clear();
    cache_callbacks_.clear();
    ttsim::Ledger::instance().device_close(ttsim::dev_key(this), this);
    return true;
}

// E1/E2: sub_device_manager_tracker_.reset(nullptr) runs ~SubDeviceManager on the default
// allocator (95c8445888, 4fb33605e0). E3 on: default_allocator_.reset() destroys the
// AllocatorImpl; neither deallocate_buffers() nor clear() runs (eb437d7d).
void Device::reset_allocator() {
#if TTSIM_API <= 2
    release_sub_device_allocator(allocator_);
#else
    allocator_.reset();
#endif
}

void Device::enqueue_program(const std::shared_ptr<Program>& program, std::uint64_t cache_key) {
    if (!initialized_) {
        throw std::logic_error("EnqueueProgram: device " + std::to_string(id_) + " is closed");
    }
    const auto [entry, miss] = program_cache_.try_emplace(cache_key, program);
    if (entry->second != program) {
        throw std::invalid_argument("EnqueueProgram: program cache key already names another program");
    }
    if (miss && ttsim::leak_enabled(ttsim::kLeakCacheCallback)) {
        register_leaky_cache_callback();
    }
    if (!miss) {
        for (const auto& callback : cache_callbacks_) {
            callback();  // cache hit: override runtime arguments
        }
    }

    detail::ProgramImpl& impl = program->impl();
    impl.allocate_kernel_bin_buf_on_device(this);
    program->lay_out_circular_buffers(this);
    GraphTracker::instance().track_program(program.get(), this);
    kernel_binaries_in_flight_.push_back(impl.kernel_bin_buf(this));
    finish();
}

// The program completed: dispatch lets go of its kernel binary. The kernel_binary leak is a
// completion path that forgets to, so the binary outlives its program until close.
void Device::finish() {
    if (!ttsim::leak_enabled(ttsim::kLeakKernelBinary)) {
        kernel_binaries_in_flight_.clear();
    }
}

// The cache_callback leak (like tt-metal issue #21806): an op's cache callback captures a
// scratch buffer, and the callback lives as long as the device's dispatch state, so the buffer
// is never freed; only the allocator reset at close reclaims it.
void Device::register_leaky_cache_callback() {
    std::shared_ptr<Buffer> scratch = create_cache_callback_scratch(this, cache_misses_++);
    cache_callbacks_.push_back([scratch] { (void)scratch->address(); });
}

std::shared_ptr<Buffer> create_cache_callback_scratch(IDevice* device, std::uint64_t miss) {
    ttsim::SiteScope site(ttsim::Site::cache_callback);
    return miss % 2 == 0 ? Buffer::create(device, 32768, 2048, BufferType::DRAM)
                         : Buffer::create(device, 4096, 1024, BufferType::L1);
}

std::shared_ptr<Program> Device::find_cached_program(std::uint64_t cache_key) const {
    const auto it = program_cache_.find(cache_key);
    return it == program_cache_.end() ? nullptr : it->second;
}

IDevice* CreateDevice(ChipId device_id) { return DevicePool::instance().open(device_id).get(); }

std::shared_ptr<Device> OpenPhysicalDevice(ChipId device_id) { return DevicePool::instance().open(device_id); }

TTSIM_PROBED bool CloseDevice(IDevice* device) {
    if (device == nullptr) {
        return false;
    }
    return device->close();
}

Device& physical_device(IDevice* device) {
    auto* physical = dynamic_cast<Device*>(device);
    if (physical == nullptr) {
        throw std::invalid_argument("a physical device is needed here (a MeshDevice runs mesh workloads)");
    }
    return *physical;
}

void EnqueueProgram(IDevice* device, const std::shared_ptr<Program>& program, std::uint64_t program_cache_key) {
    physical_device(device).enqueue_program(program, program_cache_key);
}

}  // namespace tt::tt_metal

namespace ttsim {
DevKey dev_key(const tt::tt_metal::IDevice* device) { return DevKey{device->is_mesh(), device->id()}; }
}  // namespace ttsim
