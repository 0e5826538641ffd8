// tt::tt_metal::Buffer. The tracer reads Buffer fields at fixed offsets, so the data members
// below reproduce the real declaration order and types (TTMETAL_API.md, "Buffer layout"):
// mid 2025 keeps them inline in Buffer, 2026 moves them to BufferImpl behind impl_.
// unit/test_layout.cpp checks every offset.
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

class IDevice;
class TTSIM_ALLOCATOR;
using DeviceAllocator = TTSIM_ALLOCATOR;  // the simulation's name for whichever generation's class

#if TTSIM_GEN == 2026
// The 2026 pimpl. Offsets: device_ 0, size_ 8, buffer_type_ 16, allocator_ 48, address_ 64, page_size_ 72.
class BufferImpl {
public:
    BufferImpl(IDevice* device, DeviceAddr size, DeviceAddr page_size, BufferType type, bool bottom_up,
               DeviceAllocator* allocator)
        : device_(device), size_(size), buffer_type_(type), bottom_up_(bottom_up), allocator_(allocator),
          page_size_(page_size) {}

    IDevice* const device_;
    const DeviceAddr size_;
    const BufferType buffer_type_;
    const TensorMemoryLayout buffer_layout_ = TensorMemoryLayout::INTERLEAVED;
    const bool bottom_up_;
    const std::optional<SubDeviceId> sub_device_id_;
    const bool owns_data_ = true;
    std::optional<SubDeviceManagerId> sub_device_manager_id_;
    DeviceAllocator* allocator_;
    std::atomic<AllocationStatus> allocation_status_{AllocationStatus::ALLOCATION_REQUESTED};
    DeviceAddr address_ = 0;
    DeviceAddr page_size_;
};
#endif

class Buffer final : public std::enable_shared_from_this<Buffer> {
    struct Private {};  // only create() constructs, yet make_shared needs a public constructor

public:
    // Allocates on the device's allocator. bottom_up defaults like tt-metal: DRAM bottom-up,
    // L1 top-down. Interleaved buffers only; size must be a non-zero multiple of page_size.
    static std::shared_ptr<Buffer> create(IDevice* device, DeviceAddr size, DeviceAddr page_size, BufferType type,
                                          std::optional<bool> bottom_up = std::nullopt);

    Buffer(IDevice* device, DeviceAddr size, DeviceAddr page_size, BufferType type, bool bottom_up, Private);
    ~Buffer();
    Buffer(const Buffer&) = delete;
    Buffer& operator=(const Buffer&) = delete;

    void deallocate();  // idempotent; the destructor calls it too

    IDevice* device() const;
    DeviceAddr size() const;
    DeviceAddr page_size() const;
    BufferType buffer_type() const;
    bool bottom_up() const;
    DeviceAddr address() const;
    DeviceAllocator* allocator() const;
    bool is_allocated() const;

private:
    friend struct BufferLayoutProbe;  // unit/test_layout.cpp

    void allocate_impl();
    void deallocate_impl();

#if TTSIM_GEN == 2026
    std::unique_ptr<BufferImpl> impl_;  // offset 16
#else
    IDevice* const device_;                                    // 16
    const DeviceAddr size_;                                    // 24
    const BufferType buffer_type_;                             // 32
    const TensorMemoryLayout buffer_layout_;                   // 36
    const bool bottom_up_;                                     // 40
    const std::optional<SubDeviceId> sub_device_id_;           // 41
    const bool owns_data_;                                     // 43
    std::optional<SubDeviceManagerId> sub_device_manager_id_;  // 48
    DeviceAllocator* allocator_;                               // 64
    std::atomic<AllocationStatus> allocation_status_;          // 72
    DeviceAddr address_ = 0;                                   // 80
    DeviceAddr page_size_;                                     // 88
#endif
};

}  // namespace tt::tt_metal
