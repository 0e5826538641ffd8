// The device allocator: tt::tt_metal::Allocator (E1, E2) / AllocatorImpl (E3 on, 0c95a278),
// one per Device and one per MeshDevice, with one BankManager per memory type. The
// simulation models DRAM and L1. From E3 on `Allocator` is a public view of an AllocatorImpl
// (AllocatorImpl::view(), which Buffer::allocator() returns).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <unordered_set>
#include <vector>

#include "bank_manager.hpp"
#include "buffer.hpp"
#include "core_coord.hpp"
#include "gen.hpp"

namespace tt::tt_metal {

// Wormhole-like geometry (README.md, "Geometry").
struct AllocatorConfig {
    std::uint32_t num_dram_banks = 12;        // 12 DRAM channels
    DeviceAddr dram_bank_size = 0x40000000;   // 1 GiB each
    // The HAL reserves the bottom of every DRAM bank (the barrier at 0, wh_hal.cpp at
    // a8c5af0f5a: dram_unreserved_base = get_dram_unreserved_base()), so no real buffer ever
    // gets address 0; one allocation unit here. The top, and so 0x3FFFF000, is unchanged.
    DeviceAddr dram_unreserved_base = 4096;
    DeviceAddr dram_alignment = 4096;         // DRAM allocation unit per bank
    std::uint32_t num_l1_banks = 64;          // one per worker core of the 8x8 compute grid
    DeviceAddr l1_unreserved_base = 101152;   // L1 allocator base; the CB region starts here
    DeviceAddr l1_size = 1499136;             // 1464 KiB of L1 per core
    DeviceAddr l1_alignment = 16;
    CoreRangeSet compute_grid{CoreRange({0, 0}, {7, 7})};
};

#if TTSIM_API >= 3
class AllocatorImpl;

// The public face of an AllocatorImpl since 0c95a278; it keeps a deallocate_buffers() wrapper.
class Allocator {
public:
    explicit Allocator(AllocatorImpl& impl) : impl_(&impl) {}
    void deallocate_buffers();

private:
    AllocatorImpl* impl_;
};
#endif

class TTSIM_ALLOCATOR {
public:
    explicit TTSIM_ALLOCATOR(const AllocatorConfig& config = AllocatorConfig{});
    ~TTSIM_ALLOCATOR();  // E3 on: what Device::close runs (default_allocator_.reset())
    TTSIM_ALLOCATOR(const TTSIM_ALLOCATOR&) = delete;
    TTSIM_ALLOCATOR& operator=(const TTSIM_ALLOCATOR&) = delete;

    DeviceAddr allocate_buffer(Buffer* buffer);  // picks the bank manager by buffer->buffer_type()
    void deallocate_buffer(Buffer* buffer);
    // Bulk reset of the bank managers, no per-buffer events. clear() does not call
    // deallocate_buffers(); E1's clear() also keeps the set of allocated buffers, which
    // ~SubDeviceManager then deallocates one by one.
    void deallocate_buffers();
    void clear();
    std::uint32_t get_alignment(BufferType type) const;
#if TTSIM_API >= 3
    const std::unique_ptr<Allocator>& view() const;
#endif

    const AllocatorConfig& config() const { return config_; }
    DeviceAddr l1_base() const { return config_.l1_unreserved_base; }
    std::optional<DeviceAddr> lowest_occupied_l1_address() const { return l1_manager_.lowest_occupied_address(); }
    const BankManager& bank_manager(BufferType type) const;
    std::size_t num_allocated_buffers() const { return allocated_buffers_.size(); }
    std::vector<Buffer*> allocated_buffers() const { return {allocated_buffers_.begin(), allocated_buffers_.end()}; }

private:
    BankManager& manager_for(BufferType type);

    AllocatorConfig config_;
    BankManager dram_manager_;
    BankManager l1_manager_;
    std::unordered_set<Buffer*> allocated_buffers_;
#if TTSIM_API >= 3
    std::unique_ptr<Allocator> view_;
#endif
};

// What ~SubDeviceManager does to its allocators (sub_device_manager.cpp): E1 clear(), then
// DeallocateBuffer per buffer still allocated (95c8445888); E2 on deallocate_buffers(), then
// clear() (4fb33605e0, a8c5af0f5a). The allocator object is destroyed afterwards.
void release_sub_device_allocator(std::unique_ptr<DeviceAllocator>& allocator);

void DeallocateBuffer(Buffer& buffer);

}  // namespace tt::tt_metal
