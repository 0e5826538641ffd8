// tt::tt_metal::Program, the public handle, and detail::ProgramImpl, which owns the circular
// buffer (CB) configs, the per-device CB layouts and the per-device kernel-binary buffers.
// Mid 2025 lays CBs out in Program::allocate_circular_buffers and reports their deallocation
// from ~Program; 2026 does both in ProgramImpl (TTMETAL_API.md, "API generations").
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
#if TTSIM_GEN == 2026
    void allocate_circular_buffers(const IDevice* device);
#endif
    void deallocate_circular_buffers();  // 2026: track_deallocate_cb(dev) per device; 2025: once, device-less
    void allocate_kernel_bin_buf_on_device(IDevice* device);

    std::size_t num_circular_buffers() const { return circular_buffers_.size(); }
    std::vector<DeviceAddr> cb_addresses(const IDevice* device) const;  // empty until laid out
    std::shared_ptr<Buffer> kernel_bin_buf(const IDevice* device) const;

private:
    friend class tt::tt_metal::Program;  // the mid-2025 CB layout owner

    struct CircularBuffer {
        CBHandle handle;
        CoreRangeSet core_ranges;
        CircularBufferConfig config;
    };

    // The layout itself; `owner` is the object the CBs are attributed to (this ProgramImpl in
    // 2026, the Program in mid 2025), i.e. `this` of the probed allocate_circular_buffers.
    void lay_out_circular_buffers(const void* owner, const IDevice* device);

    std::vector<CircularBuffer> circular_buffers_;
    std::map<const IDevice*, std::vector<DeviceAddr>> cb_layouts_;
    std::map<const IDevice*, std::shared_ptr<Buffer>> kernel_bin_bufs_;
};

}  // namespace detail

class Program {
public:
    Program();
    ~Program() noexcept;
    Program(Program&& other) noexcept;
    Program& operator=(Program&& other) = delete;  // would drop a program without ~Program's report
    Program(const Program&) = delete;
    Program& operator=(const Program&) = delete;

#if TTSIM_GEN == 2025
    void allocate_circular_buffers(const IDevice* device);
#endif

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
