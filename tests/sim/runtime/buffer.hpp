// tt::tt_metal::Buffer. The tracer reads Buffer fields at fixed offsets and derives those
// offsets from the accessors' machine code, so the data members reproduce the real
// declaration order and types of each era, and the accessors the tracer decodes are real
// out-of-line functions with the upstream bodies' semantics (buffer.cpp of each era's commit,
// gen.hpp). unit/test_layout.cpp checks every offset.
//   e1         no base: device_ 0, size_ 8, buffer_type_ 16, allocator_ 48, address_ 64, page_size_ 72
//   e2..e5     enable_shared_from_this at 0: every field 16 further (allocator_ 64, address_ 80)
//   pimpl      impl_ at 16 -> BufferImpl with the e1 offsets
//   e5x        e5 plus 8 bytes before allocator_ (allocator_ 72, address_ 88, page_size_ 96)
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>

#include "gen.hpp"
#include "strong_type.hpp"

namespace tt::tt_metal {

using DeviceAddr = std::uint64_t;
using ChipId = int;

enum class BufferType { DRAM, L1, SYSTEM_MEMORY, L1_SMALL, TRACE };  // values 0..4, as the tracer reads them
enum class TensorMemoryLayout { INTERLEAVED = 0, HEIGHT_SHARDED = 2, WIDTH_SHARDED = 3, BLOCK_SHARDED = 4 };
enum class AllocationStatus : std::uint8_t { ALLOCATION_REQUESTED, ALLOCATION_FAILED, ALLOCATED, DEALLOCATED };

using SubDeviceId = TTSIM_STL::StrongType<std::uint8_t, struct SubDeviceIdTag>;
using SubDeviceManagerId = TTSIM_STL::StrongType<std::uint64_t, struct SubDeviceManagerIdTag>;

struct BufferRegion {
    DeviceAddr offset = 0;
    DeviceAddr size = 0;
};

class IDevice;
class Allocator;  // E1/E2: the allocator itself; E3 on: the public view of an AllocatorImpl
class TTSIM_ALLOCATOR;
using DeviceAllocator = TTSIM_ALLOCATOR;  // the simulation's name for whichever era's class

// The data members in declaration order, written once for the inline and the pimpl layouts.
// hooked_allocation_ exists since 2025-05-08 (f3fb62fe09), so in every era here; it sits in
// the padding after allocation_status_ and moves nothing.
#if TTSIM_BUFFER_EXTRA
#define TTSIM_BUFFER_EXTRA_MEMBER std::uint64_t extra_member_ = 0;  // e5x only: shifts what follows by 8
#else
#define TTSIM_BUFFER_EXTRA_MEMBER
#endif
#define TTSIM_BUFFER_MEMBERS                                            \
    IDevice* const device_;                                             \
    const DeviceAddr size_;                                             \
    const BufferType buffer_type_;                                      \
    const TensorMemoryLayout buffer_layout_;                            \
    const bool bottom_up_;                                              \
    const std::optional<SubDeviceId> sub_device_id_;                    \
    const bool owns_data_;                                              \
    std::optional<SubDeviceManagerId> sub_device_manager_id_;           \
    TTSIM_BUFFER_EXTRA_MEMBER                                           \
    DeviceAllocator* allocator_;                                        \
    std::atomic<AllocationStatus> allocation_status_;                   \
    bool hooked_allocation_ = false;                                    \
    DeviceAddr address_ = 0;                                            \
    DeviceAddr page_size_;

struct BufferArgs {
    IDevice* device;
    DeviceAddr size;
    DeviceAddr page_size;
    BufferType type;
    bool bottom_up;
    bool owns_data;
    DeviceAllocator* allocator;
};

#if TTSIM_BUFFER_PIMPL
// Only in copies of unknown branch (docs/tt-metal-runtime.md): never on tt-metal main.
class BufferImpl {
public:
    explicit BufferImpl(const BufferArgs& a);
    TTSIM_BUFFER_MEMBERS
};
#endif

#if TTSIM_API >= 2
class Buffer final : public std::enable_shared_from_this<Buffer> {
#else
class Buffer final {
#endif
    struct Private {};  // only create() constructs, yet make_shared needs a public constructor

public:
    // Allocates on the device's allocator (a MeshDevice's own allocator for a mesh). bottom_up
    // defaults like tt-metal: DRAM bottom-up, L1 top-down. Interleaved buffers only.
    static std::shared_ptr<Buffer> create(IDevice* device, DeviceAddr size, DeviceAddr page_size, BufferType type,
                                          std::optional<bool> bottom_up = std::nullopt);
    // A non-owning view at an existing address (MeshBuffer's per-chip buffers): no allocator,
    // no GraphTracker event, as tt-metal's create(device, address, ...).
    static std::shared_ptr<Buffer> create(IDevice* device, DeviceAddr address, DeviceAddr size, DeviceAddr page_size,
                                          BufferType type);

    Buffer(const BufferArgs& args, Private);
    ~Buffer();
    Buffer(const Buffer&) = delete;
    Buffer& operator=(const Buffer&) = delete;

    void deallocate();  // idempotent, a no-op for views; the destructor calls it too

    // Inline in tt-metal's header, so hidden here too.
    IDevice* device() const { return fields().device_; }
    DeviceAddr size() const { return fields().size_; }
    BufferType buffer_type() const { return fields().buffer_type_; }
    bool bottom_up() const { return fields().bottom_up_; }
    bool is_allocated() const { return fields().allocation_status_ == AllocationStatus::ALLOCATED; }
    bool is_hooked() const { return fields().hooked_allocation_; }
    DeviceAllocator* allocator_impl() const { return fields().allocator_; }

    // Out of line and exported in every era (buffer.cpp).
    std::uint32_t address() const;  // throws before the allocation was requested to completion
    DeviceAddr page_size() const;
    std::uint32_t num_pages() const;
    bool is_dram() const;  // DRAM or TRACE
    bool is_l1() const;    // L1 or L1_SMALL
    bool is_trace() const;
    bool is_valid_region(const BufferRegion& region) const;
    std::uint32_t alignment() const;
#if TTSIM_API >= 3
    Allocator* allocator() const;  // out of line since the AllocatorImpl split: allocator_->view()
#else
    Allocator* allocator() const { return allocator_; }
#endif

private:
    friend struct BufferLayoutProbe;  // unit/test_layout.cpp

    void allocate_impl();
    void deallocate_impl();

#if TTSIM_BUFFER_PIMPL
    const BufferImpl& fields() const { return *impl_; }
    BufferImpl& fields() { return *impl_; }
    std::unique_ptr<BufferImpl> impl_;  // offset 16
#else
    const Buffer& fields() const { return *this; }
    Buffer& fields() { return *this; }
    TTSIM_BUFFER_MEMBERS
#endif
};

}  // namespace tt::tt_metal
