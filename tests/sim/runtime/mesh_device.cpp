#include "mesh_device.hpp"

#include <atomic>
#include <stdexcept>

#include "config.hpp"
#include "graph_tracking.hpp"
#include "ledger.hpp"
#include "mesh_buffer.hpp"

namespace tt::tt_metal::distributed {
namespace {

// generate_unique_mesh_id() (mesh_device.cpp, every era): a process-wide counter from 0.
int generate_unique_mesh_id() {
    static std::atomic<int> next_id{0};
    return next_id++;
}

}  // namespace

// The steps shared by the eras, on whichever object holds the mesh's members (MeshDevice
// before the pimpl, MeshDeviceImpl after).
struct MeshSteps {
template <typename Holder>
static void open_mesh(Holder& h, const std::vector<ChipId>& chips, int mesh_id) {
    h.scoped_devices_ = std::make_shared<ScopedDevices>(chips);
    h.mesh_id_ = mesh_id;
    h.state_.chips = h.scoped_devices_->devices();
    for (const auto& chip : h.state_.chips) {
        h.state_.devices.push_back(chip.get());
    }
    h.state_.allocator = std::make_unique<DeviceAllocator>(AllocatorConfig{});
    h.state_.initialized = true;
#if TTSIM_API >= 2
    h.is_internal_state_initialized = true;
#endif
}

// close() / close_impl() of every era: mesh_command_queues_.clear(),
// sub_device_manager_tracker_.reset() (~SubDeviceManager on the mesh allocator),
// scoped_devices_.reset() (closes the chips). The program cache is left alone.
template <typename Holder>
static bool close_mesh(Holder& h, const IDevice* wrapper) {
    if (!h.state_.initialized) {
        return false;
    }
    release_sub_device_allocator(h.state_.allocator);
    h.scoped_devices_.reset();
    h.state_.initialized = false;
#if TTSIM_API >= 2
    h.is_internal_state_initialized = false;
#endif
    h.state_.cache_callbacks.clear();  // what they hold was reclaimed above: forgotten, not freed
    ttsim::Ledger::instance().device_close(ttsim::dev_key(wrapper), wrapper);
    return true;
}
};

ScopedDevices::ScopedDevices(const std::vector<ChipId>& chips) {
    try {
        for (ChipId chip : chips) {
            devices_.push_back(OpenPhysicalDevice(chip));
        }
    } catch (...) {
        for (const auto& device : devices_) {
            device->close();
        }
        throw;
    }
}

ScopedDevices::~ScopedDevices() {
    for (const auto& device : devices_) {
        device->close();
    }
}

#if TTSIM_API >= 3
MeshDeviceImpl::MeshDeviceImpl(const std::vector<ChipId>& chips, int mesh_id) { MeshSteps::open_mesh(*this, chips, mesh_id); }

MeshDeviceImpl::~MeshDeviceImpl() = default;

TTSIM_PROBED int MeshDeviceImpl::id() const { return mesh_id_; }

bool MeshDeviceImpl::close() {
    throw std::logic_error("close() is not supported on MeshDeviceImpl - use close_impl() instead");
}

TTSIM_PROBED bool MeshDeviceImpl::close_impl(MeshDevice* pimpl_wrapper) { return MeshSteps::close_mesh(*this, pimpl_wrapper); }

MeshDevice::MeshDevice(const std::vector<ChipId>& chips, Private)
    : pimpl_(std::make_unique<MeshDeviceImpl>(chips, generate_unique_mesh_id())) {}

const MeshState& MeshDevice::state() const { return pimpl_->state_; }
MeshState& MeshDevice::state() { return pimpl_->state_; }

TTSIM_PROBED int MeshDevice::id() const { return pimpl_->id(); }

TTSIM_PROBED bool MeshDevice::close() { return pimpl_->close_impl(this); }
#else
MeshDevice::MeshDevice(const std::vector<ChipId>& chips, Private) { MeshSteps::open_mesh(*this, chips, generate_unique_mesh_id()); }

const MeshState& MeshDevice::state() const { return state_; }
MeshState& MeshDevice::state() { return state_; }

TTSIM_PROBED int MeshDevice::id() const { return mesh_id_; }

TTSIM_PROBED bool MeshDevice::close() { return MeshSteps::close_mesh(*this, this); }
#endif

std::shared_ptr<MeshDevice> MeshDevice::create(const std::vector<ChipId>& physical_device_ids) {
    if (physical_device_ids.empty()) {
        throw std::invalid_argument("MeshDevice::create: no devices");
    }
    ttsim::start_runtime();
    auto mesh = std::make_shared<MeshDevice>(physical_device_ids, Private{});
    ttsim::Ledger::instance().device_open(ttsim::dev_key(mesh.get()), mesh.get());
    ttsim::Ledger::instance().mesh_open(mesh->id(), physical_device_ids);
    return mesh;
}

std::shared_ptr<MeshDevice> MeshDevice::create_unit_mesh(ChipId device_id) { return create({device_id}); }

// Cached workloads die with the mesh, while its chips are still valid objects.
MeshDevice::~MeshDevice() {
    close();
    state().program_cache.clear();
}

void MeshDevice::enqueue_workload(const std::shared_ptr<Program>& program, std::uint64_t cache_key) {
    if (!is_initialized()) {
        throw std::logic_error("EnqueueMeshWorkload: mesh " + std::to_string(id()) + " is closed");
    }
    const auto [entry, miss] = state().program_cache.try_emplace(cache_key, program);
    if (entry->second != program) {
        throw std::invalid_argument("EnqueueMeshWorkload: program cache key already names another program");
    }
    if (miss && ttsim::leak_enabled(ttsim::kLeakCacheCallback)) {
        register_leaky_cache_callback();
    }
    if (!miss) {
        for (const auto& callback : state().cache_callbacks) {
            callback();
        }
    }
    // MeshWorkloadImpl::compile (mesh_workload.cpp): kernel binaries in a MeshBuffer, then
    // the CB layout with the mesh itself as the device.
    program->impl().allocate_kernel_bin_mesh_buffer(*this);
    program->lay_out_circular_buffers(this);
    GraphTracker::instance().track_program(program.get(), this);
}

void MeshDevice::register_leaky_cache_callback() {
    const bool dram = state().cache_misses++ % 2 == 0;
    ttsim::SiteScope site(ttsim::Site::cache_callback);
    auto scratch = dram ? MeshBuffer::create(*this, 32768, 2048, BufferType::DRAM)
                        : MeshBuffer::create(*this, 4096, 1024, BufferType::L1);
    state().cache_callbacks.push_back([scratch] { (void)scratch->address(); });
}

std::shared_ptr<Program> MeshDevice::find_cached_program(std::uint64_t cache_key) const {
    const auto it = state().program_cache.find(cache_key);
    return it == state().program_cache.end() ? nullptr : it->second;
}

}  // namespace tt::tt_metal::distributed
