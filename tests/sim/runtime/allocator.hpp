// The device allocator: tt::tt_metal::AllocatorImpl (2026) / Allocator (mid 2025), one per
// Device, with one BankManager per memory type. The simulation models DRAM and L1.
#pragma once

#include <cstdint>
#include <optional>
#include <unordered_set>

#include "bank_manager.hpp"
#include "buffer.hpp"
#include "core_coord.hpp"
#include "gen.hpp"

namespace tt::tt_metal {

// Wormhole-like geometry (README.md, "Geometry").
struct AllocatorConfig {
    std::uint32_t num_dram_banks = 12;        // 12 DRAM channels
    DeviceAddr dram_bank_size = 0x40000000;   // 1 GiB each
    DeviceAddr dram_alignment = 4096;         // DRAM allocation unit per bank
    std::uint32_t num_l1_banks = 64;          // one per worker core of the 8x8 compute grid
    DeviceAddr l1_unreserved_base = 101152;   // L1 allocator base; the CB region starts here
    DeviceAddr l1_size = 1499136;             // 1464 KiB of L1 per core
    DeviceAddr l1_alignment = 16;
    CoreRangeSet compute_grid{CoreRange({0, 0}, {7, 7})};
};

class TTSIM_ALLOCATOR {
public:
    explicit TTSIM_ALLOCATOR(const AllocatorConfig& config = AllocatorConfig{});
    TTSIM_ALLOCATOR(const TTSIM_ALLOCATOR&) = delete;
    TTSIM_ALLOCATOR& operator=(const TTSIM_ALLOCATOR&) = delete;

    DeviceAddr allocate_buffer(Buffer* buffer);  // picks the bank manager by buffer->buffer_type()
    void deallocate_buffer(Buffer* buffer);
    void deallocate_buffers();  // bulk: every bank manager's deallocate_all(), no per-buffer events
    void clear();

    const AllocatorConfig& config() const { return config_; }
    DeviceAddr l1_base() const { return config_.l1_unreserved_base; }
    std::optional<DeviceAddr> lowest_occupied_l1_address() const { return l1_manager_.lowest_occupied_address(); }
    const BankManager& bank_manager(BufferType type) const;
    std::size_t num_allocated_buffers() const { return allocated_buffers_.size(); }

private:
    BankManager& manager_for(BufferType type);

    AllocatorConfig config_;
    BankManager dram_manager_;
    BankManager l1_manager_;
    std::unordered_set<const Buffer*> allocated_buffers_;
};

}  // namespace tt::tt_metal
