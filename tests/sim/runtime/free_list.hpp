// Address assignment inside one bank: a first-fit free list (tt-metal's FreeListOpt with
// SearchPolicy::FIRST) that allocates from the bottom or from the top and coalesces on free.
// All banks of a BankManager allocate in lock step, so one FreeList stands for all of them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>

namespace tt::tt_metal::allocator {

using DeviceAddr = std::uint64_t;

class FreeList {
public:
    // Manages [offset, offset + size); sizes are rounded up to, and addresses aligned on,
    // `alignment` (which also serves as the minimum allocation size).
    FreeList(DeviceAddr size, DeviceAddr offset, DeviceAddr alignment);

    // Bottom-up takes the lowest fitting address, top-down the highest. nullopt when no free
    // block is large enough.
    std::optional<DeviceAddr> allocate(DeviceAddr size, bool bottom_up);
    bool deallocate(DeviceAddr address);  // false if address is not allocated
    void clear();                         // everything free again

    std::optional<DeviceAddr> lowest_occupied_address() const;
    std::size_t num_allocated() const { return allocated_.size(); }
    std::size_t num_free_blocks() const { return free_blocks_.size(); }
    DeviceAddr largest_free_block() const;
    DeviceAddr alignment() const { return alignment_; }

private:
    void insert_free(DeviceAddr start, DeviceAddr size);  // merges with adjacent free blocks

    DeviceAddr size_;
    DeviceAddr offset_;
    DeviceAddr alignment_;
    std::map<DeviceAddr, DeviceAddr> free_blocks_;  // start -> size; never adjacent to each other
    std::map<DeviceAddr, DeviceAddr> allocated_;    // start -> size
};

}  // namespace tt::tt_metal::allocator
