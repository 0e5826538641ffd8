#include "bank_manager.hpp"

#include <stdexcept>
#include <string>

namespace tt::tt_metal {
namespace {

const char* type_name(BufferType type) {
    switch (type) {
        case BufferType::DRAM: return "DRAM";
        case BufferType::L1: return "L1";
        case BufferType::SYSTEM_MEMORY: return "SYSTEM_MEMORY";
        case BufferType::L1_SMALL: return "L1_SMALL";
        case BufferType::TRACE: return "TRACE";
    }
    return "UNKNOWN";
}

#if TTSIM_API >= 2
// Only the default allocator (id 0) exists: the simulation has no sub-device managers.
void check_allocator_id(BankManager::AllocatorDependencies::AllocatorID id) {
    if (id.get() != 0) {
        throw std::out_of_range("BankManager: invalid allocator id " + std::to_string(id.get()));
    }
}
#endif

}  // namespace

BankManager::BankManager(BufferType type, std::uint32_t num_banks, DeviceAddr bank_size, DeviceAddr alloc_offset,
                         DeviceAddr alignment)
    : buffer_type_(type), num_banks_(num_banks), allocator_(bank_size, alloc_offset, alignment) {
    if (num_banks == 0) {
        throw std::invalid_argument("BankManager: no banks");
    }
}

TTSIM_PROBED DeviceAddr BankManager::allocate_buffer(DeviceAddr size, DeviceAddr page_size, bool bottom_up,
                                                     const CoreRangeSet& compute_grid,
                                                     std::optional<std::uint32_t> num_shards
#if TTSIM_API >= 2
                                                     ,
                                                     AllocatorDependencies::AllocatorID allocator_id
#endif
) {
#if TTSIM_API >= 2
    check_allocator_id(allocator_id);
#endif
    if (page_size == 0 || size % page_size != 0) {
        throw std::invalid_argument("BankManager: size must be a multiple of a non-zero page size");
    }
    std::uint32_t banks = num_banks_;
    if (num_shards.has_value()) {  // sharded: one shard per core of the grid
        if (*num_shards == 0 || *num_shards > compute_grid.num_cores()) {
            throw std::invalid_argument("BankManager: num_shards exceeds the compute grid");
        }
        banks = *num_shards;
    }
    const DeviceAddr pages = size / page_size;
    const DeviceAddr size_per_bank = (pages + banks - 1) / banks * page_size;
    const auto address = allocator_.allocate(size_per_bank, bottom_up);
    if (!address) {
        throw std::runtime_error("Out of Memory: Not enough space to allocate " + std::to_string(size) + " B " +
                                 type_name(buffer_type_) + " buffer across " + std::to_string(banks) +
                                 " banks, where each bank needs to store " + std::to_string(size_per_bank) + " B");
    }
    allocated_buffers_.insert(*address);
    return *address;
}

TTSIM_PROBED void BankManager::deallocate_buffer(DeviceAddr address
#if TTSIM_API >= 2
                                                 ,
                                                 AllocatorDependencies::AllocatorID allocator_id
#endif
) {
#if TTSIM_API >= 2
    check_allocator_id(allocator_id);
#endif
    // Like tt-metal, an address this manager does not hold is ignored.
    if (allocated_buffers_.erase(address) != 0) {
        allocator_.deallocate(address);
    }
}

TTSIM_PROBED void BankManager::deallocate_all() {
    allocated_buffers_.clear();
    allocator_.clear();
}

}  // namespace tt::tt_metal
