// tt::tt_metal::distributed::MeshDevice: what ttnn opens (ttnn.open_device returns a unit
// mesh over one chip). It opens its chips, has an allocator of its own (buffers on a mesh sit
// at one address on every chip) and a program cache of its own, which close() does not clear.
// Layouts the tracer may read, per era (mesh_device.hpp / mesh_device_impl.hpp):
//   E1  MeshDevice : IDevice, enable_shared_from_this: scoped_devices_ 24, mesh_id_ 40 (95c8445888)
//   E2  api_mutex_ 24 (68b4c18506), is_internal_state_initialized 64, scoped_devices_ 72, mesh_id_ 88
//   E3  pimpl_ 24 -> MeshDeviceImpl : IDevice (dd2b14e643): api_mutex_ 8, scoped_devices_ 56, mesh_id_ 72
//   E4+ MeshDeviceImpl gains context_id_ 52 and a flag at 56 (d02dc4a3): scoped_devices_ 64, mesh_id_ 80
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "device.hpp"

namespace tt::tt_metal::distributed {

// The chips of a root mesh: opened by the constructor, closed by the destructor.
class ScopedDevices {
public:
    explicit ScopedDevices(const std::vector<ChipId>& chips);
    ~ScopedDevices();
    ScopedDevices(const ScopedDevices&) = delete;
    ScopedDevices& operator=(const ScopedDevices&) = delete;

    const std::vector<std::shared_ptr<Device>>& devices() const { return devices_; }

private:
    std::vector<std::shared_ptr<Device>> devices_;
};

// The simulation's own state of a mesh, after the fields the tracer may read.
struct MeshState {
    std::vector<std::shared_ptr<Device>> chips;  // chip objects stay valid while the mesh lives
    std::vector<IDevice*> devices;
    std::unique_ptr<DeviceAllocator> allocator;  // the mesh's (sub-device manager's) allocator
    bool initialized = false;
    std::map<std::uint64_t, std::shared_ptr<Program>> program_cache;  // survives close
    std::vector<std::function<void()>> cache_callbacks;               // dispatch state
    std::uint64_t cache_misses = 0;
};

#if TTSIM_API >= 4
using ContextId = ttsl::StrongType<int, struct ContextIdTag>;
#endif

#if TTSIM_API == 1
#define TTSIM_MESH_MEMBERS                       \
    std::shared_ptr<ScopedDevices> scoped_devices_; \
    int mesh_id_;                                \
    MeshState state_;
#elif TTSIM_API <= 3
#define TTSIM_MESH_MEMBERS                          \
    std::mutex api_mutex_;                          \
    bool is_internal_state_initialized = false;     \
    std::shared_ptr<ScopedDevices> scoped_devices_; \
    int mesh_id_;                                   \
    MeshState state_;
#else
#define TTSIM_MESH_MEMBERS                                   \
    std::mutex api_mutex_;                                   \
    bool is_internal_state_initialized = false;              \
    ContextId context_id_{0};                                \
    bool destroy_metal_context_instance_on_close_ = false;   \
    std::shared_ptr<ScopedDevices> scoped_devices_;          \
    int mesh_id_;                                            \
    MeshState state_;
#endif

class MeshDevice;
struct MeshSteps;

#if TTSIM_API >= 3
class MeshDeviceImpl final : public IDevice {
public:
    MeshDeviceImpl(const std::vector<ChipId>& chips, int mesh_id);
    ~MeshDeviceImpl() override;

    int id() const override;
    bool is_initialized() const override { return state_.initialized; }
    DeviceAllocator* allocator_impl() const override { return state_.allocator.get(); }
    bool close() override;  // refused, as upstream: MeshDevice::close calls close_impl
    bool is_mesh() const override { return true; }
    bool close_impl(MeshDevice* pimpl_wrapper);

private:
    friend class MeshDevice;
    friend struct MeshSteps;
    friend struct MeshLayoutProbe;  // unit/test_layout.cpp
    TTSIM_MESH_MEMBERS
};
#endif

class MeshDevice final : public IDevice, public std::enable_shared_from_this<MeshDevice> {
    struct Private {};

public:
    // Opens the given chips as one mesh (ids from 0 in creation order, as generate_unique_mesh_id).
    static std::shared_ptr<MeshDevice> create(const std::vector<ChipId>& physical_device_ids);
    // What ttnn.open_device(device_id=N) returns: a 1x1 mesh over chip N.
    static std::shared_ptr<MeshDevice> create_unit_mesh(ChipId device_id);

    MeshDevice(const std::vector<ChipId>& chips, Private);
    ~MeshDevice() override;
    MeshDevice(const MeshDevice&) = delete;
    MeshDevice& operator=(const MeshDevice&) = delete;

    int id() const override;  // out of line and exported: the mesh id
    bool is_initialized() const override { return state().initialized; }
    DeviceAllocator* allocator_impl() const override { return state().allocator.get(); }
    // Resets the mesh allocator through the sub-device manager, closes the chips; keeps the
    // program cache (and so the kernel binaries of cached workloads).
    bool close() override;
    bool is_mesh() const override { return true; }

    const std::vector<IDevice*>& get_devices() const { return state().devices; }
    std::size_t num_devices() const { return state().devices.size(); }

    // EnqueueMeshWorkload with the program cached under cache_key (mesh_workload.cpp).
    void enqueue_workload(const std::shared_ptr<Program>& program, std::uint64_t cache_key);
    std::shared_ptr<Program> find_cached_program(std::uint64_t cache_key) const;

private:
    friend struct MeshSteps;
    friend struct MeshLayoutProbe;
    const MeshState& state() const;
    MeshState& state();
    void register_leaky_cache_callback();

#if TTSIM_API >= 3
    std::unique_ptr<MeshDeviceImpl> pimpl_;  // offset 24
#else
    TTSIM_MESH_MEMBERS
#endif
};

}  // namespace tt::tt_metal::distributed
