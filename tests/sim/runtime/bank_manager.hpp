// tt::tt_metal::BankManager: the banks of one memory type (all DRAM channels, or the L1 of all
// worker cores). An interleaved buffer takes the same address range in every bank, so the
// bank manager hands out one address per buffer and the tracer sees that address.
#pragma once

#include <cstdint>
#include <optional>
#include <unordered_set>

#include "buffer.hpp"
#include "core_coord.hpp"
#include "free_list.hpp"
#include "gen.hpp"

namespace tt::tt_metal {

class BankManager {
public:
#if TTSIM_API >= 2
    // From E2 (4fb33605e0). As in tt-metal: the tag is declared inside the template argument, so it belongs to the
    // enclosing namespace and mangles as tt::tt_metal::AllocatorIDTag.
    struct AllocatorDependencies {
        using AllocatorID = ttsl::StrongType<std::uint32_t, struct AllocatorIDTag>;
    };
#endif

    // `bank_size` bytes per bank starting at `alloc_offset`; sizes per bank are rounded up to
    // `alignment` (the allocation unit).
    BankManager(BufferType type, std::uint32_t num_banks, DeviceAddr bank_size, DeviceAddr alloc_offset,
                DeviceAddr alignment);

    // `size` is the buffer's total size; each bank holds ceil(pages / banks) pages of it.
    // Throws std::runtime_error ("Out of Memory: ...") when no free range fits.
    DeviceAddr allocate_buffer(DeviceAddr size, DeviceAddr page_size, bool bottom_up, const CoreRangeSet& compute_grid,
                               std::optional<std::uint32_t> num_shards
#if TTSIM_API >= 2
                               ,
                               AllocatorDependencies::AllocatorID allocator_id = AllocatorDependencies::AllocatorID{0}
#endif
    );
    void deallocate_buffer(DeviceAddr address
#if TTSIM_API >= 2
                           ,
                           AllocatorDependencies::AllocatorID allocator_id = AllocatorDependencies::AllocatorID{0}
#endif
    );
    void deallocate_all();

    std::uint32_t num_banks() const { return num_banks_; }
    std::size_t num_allocated() const { return allocated_buffers_.size(); }
    std::optional<DeviceAddr> lowest_occupied_address() const { return allocator_.lowest_occupied_address(); }
    const allocator::FreeList& free_list() const { return allocator_; }

private:
    BufferType buffer_type_;
    std::uint32_t num_banks_;
    std::unordered_set<DeviceAddr> allocated_buffers_;
    allocator::FreeList allocator_;
};

}  // namespace tt::tt_metal
