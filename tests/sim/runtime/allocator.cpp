#include "allocator.hpp"

#include <stdexcept>

#include "ledger.hpp"

namespace tt::tt_metal {

TTSIM_ALLOCATOR::TTSIM_ALLOCATOR(const AllocatorConfig& config)
    : config_(config),
      dram_manager_(BufferType::DRAM, config.num_dram_banks, config.dram_bank_size, 0, config.dram_alignment),
      l1_manager_(BufferType::L1, config.num_l1_banks, config.l1_size - config.l1_unreserved_base,
                  config.l1_unreserved_base, config.l1_alignment) {}

BankManager& TTSIM_ALLOCATOR::manager_for(BufferType type) {
    switch (type) {
        case BufferType::DRAM: return dram_manager_;
        case BufferType::L1: return l1_manager_;
        default: break;
    }
    throw std::invalid_argument("allocator: the simulation models DRAM and L1 buffers only");
}

const BankManager& TTSIM_ALLOCATOR::bank_manager(BufferType type) const {
    return const_cast<TTSIM_ALLOCATOR*>(this)->manager_for(type);
}

TTSIM_PROBED DeviceAddr TTSIM_ALLOCATOR::allocate_buffer(Buffer* buffer) {
    const DeviceAddr address = manager_for(buffer->buffer_type())
                                   .allocate_buffer(buffer->size(), buffer->page_size(), buffer->bottom_up(),
                                                    config_.compute_grid, std::nullopt);
    allocated_buffers_.insert(buffer);
    return address;
}

TTSIM_PROBED void TTSIM_ALLOCATOR::deallocate_buffer(Buffer* buffer) {
    if (allocated_buffers_.erase(buffer) == 0) {
        return;  // not ours (or reclaimed by a reset already)
    }
    manager_for(buffer->buffer_type()).deallocate_buffer(buffer->address());
}

TTSIM_PROBED void TTSIM_ALLOCATOR::deallocate_buffers() {
    ttsim::Ledger::instance().allocator_reset(this);
    dram_manager_.deallocate_all();
    l1_manager_.deallocate_all();
    allocated_buffers_.clear();
}

TTSIM_PROBED void TTSIM_ALLOCATOR::clear() { deallocate_buffers(); }

}  // namespace tt::tt_metal
