// tt::tt_metal::Program, the public handle, and detail::ProgramImpl, which owns the circular
// buffer (CB) configs, the CB layout and the kernel binaries. Per era (gen.hpp):
//   E1     Program::allocate_circular_buffers forwards to ProgramImpl:: (c9e4a1ac), both exported
//   E2-E4  ProgramImpl::allocate_circular_buffers only (3fbcb5fd); no CB deallocation report
//   E5     ~ProgramImpl -> deallocate_circular_buffers() -> track_deallocate_cb(dev) per device
//          in cb_devices_, and a MeshDevice's layout is reported once per chip (a2db301f)
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "buffer.hpp"
#include "core_coord.hpp"
#include "gen.hpp"

namespace tt::tt_metal {

class IDevice;
class Program;
namespace distributed {
class MeshDevice;
class MeshBuffer;
}  // namespace distributed
using CBHandle = std::uintptr_t;

class CircularBufferConfig {
public:
    CircularBufferConfig(std::uint32_t total_size, std::uint8_t buffer_index, std::uint32_t page_size);

    // A globally allocated CB lives in an L1 buffer instead of the CB region.
    CircularBufferConfig& set_globally_allocated_address(const Buffer& buffer);

    std::uint32_t total_size() const { return total_size_; }
    std::uint32_t page_size() const { return page_size_; }
    std::uint8_t buffer_index() const { return buffer_index_; }
    const Buffer* globally_allocated_buffer() const { return global_buffer_; }

private:
    std::uint32_t total_size_;
    std::uint32_t page_size_;
    std::uint8_t buffer_index_;
    const Buffer* global_buffer_ = nullptr;
};

namespace detail {

class ProgramImpl : public std::enable_shared_from_this<ProgramImpl> {
public:
    ProgramImpl() = default;
    ~ProgramImpl() noexcept;
    ProgramImpl(const ProgramImpl&) = delete;
    ProgramImpl& operator=(const ProgramImpl&) = delete;

    CBHandle add_circular_buffer(const CoreRangeSet& core_range_set, const CircularBufferConfig& config);
    // Lays the CBs out once per program, on the allocator of `device` (a MeshDevice's own
    // allocator for a mesh), and reports each to GraphTracker.
    void allocate_circular_buffers(const IDevice* device);
#if TTSIM_API >= 5
    void deallocate_circular_buffers();
#endif
    void allocate_kernel_bin_buf_on_device(IDevice* device);  // the non-mesh path
    // The mesh path (mesh_workload.cpp): one kernel-binary MeshBuffer, kept by the cached
    // workload. Not a tt-metal function.
    void allocate_kernel_bin_mesh_buffer(distributed::MeshDevice& mesh);

    std::size_t num_circular_buffers() const { return circular_buffers_.size(); }
    const std::vector<DeviceAddr>& cb_addresses() const { return cb_addresses_; }  // empty until laid out
    std::shared_ptr<Buffer> kernel_bin_buf(const IDevice* device) const;
    std::shared_ptr<distributed::MeshBuffer> kernel_bin_mesh_buffer() const { return kernel_bin_mesh_buf_; }

private:
    struct CircularBuffer {
        CBHandle handle;
        CoreRangeSet core_ranges;
        CircularBufferConfig config;
    };

    std::vector<DeviceAddr> compute_layout(const IDevice* device) const;
    void report(const IDevice* device, const CircularBuffer& cb, DeviceAddr address);
    std::vector<const IDevice*> register_devices(const IDevice* device);

    std::vector<CircularBuffer> circular_buffers_;
    std::vector<DeviceAddr> cb_addresses_;
    bool layout_done_ = false;
    std::vector<const IDevice*> cb_devices_;  // E5: devices the CBs were reported to
    std::map<const IDevice*, std::shared_ptr<Buffer>> kernel_bin_bufs_;
    std::shared_ptr<distributed::MeshBuffer> kernel_bin_mesh_buf_;
};

}  // namespace detail

class Program {
public:
    Program();
    ~Program() noexcept;
    Program(Program&& other) noexcept;
    Program& operator=(Program&& other) = delete;
    Program(const Program&) = delete;
    Program& operator=(const Program&) = delete;

#if TTSIM_API == 1
    void allocate_circular_buffers(const IDevice* device);  // forwards to ProgramImpl
#endif
    // The call the era's dispatch makes (program_dispatch / mesh_workload.cpp).
    void lay_out_circular_buffers(const IDevice* device) {
#if TTSIM_API == 1
        allocate_circular_buffers(device);
#else
        internal_->allocate_circular_buffers(device);
#endif
    }

    detail::ProgramImpl& impl() { return *internal_; }
    const detail::ProgramImpl& impl() const { return *internal_; }

private:
    friend struct ProgramLayoutProbe;  // unit/test_layout.cpp
    std::shared_ptr<detail::ProgramImpl> internal_;  // the only member: offset 0
};

// Kernel-binary buffer of a program on a device: what the runtime allocates on first enqueue.
inline constexpr DeviceAddr kKernelBinarySize = 24576;
inline constexpr DeviceAddr kKernelBinaryPageSize = 2048;

CBHandle CreateCircularBuffer(Program& program, const CoreRangeSet& core_spec, const CircularBufferConfig& config);

}  // namespace tt::tt_metal
