#include "allocator.hpp"

#include <stdexcept>

#include "ledger.hpp"

namespace tt::tt_metal {

TTSIM_ALLOCATOR::TTSIM_ALLOCATOR(const AllocatorConfig& config)
    : config_(config),
      dram_manager_(BufferType::DRAM, config.num_dram_banks, config.dram_bank_size - config.dram_unreserved_base,
                    config.dram_unreserved_base, config.dram_alignment),
      l1_manager_(BufferType::L1, config.num_l1_banks, config.l1_size - config.l1_unreserved_base,
                  config.l1_unreserved_base, config.l1_alignment)
#if TTSIM_API >= 3
      ,
      view_(std::make_unique<Allocator>(*this))
#endif
{
}

// Out of line and exported (allocator.cpp at a8c5af0f5a): the bank managers go with the
// object, so whatever was still allocated is reclaimed without a single event.
TTSIM_PROBED TTSIM_ALLOCATOR::~TTSIM_ALLOCATOR() { ttsim::Ledger::instance().allocator_reset(this); }

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
        return;  // not ours
    }
    // After a bulk reset the bank manager no longer knows the address and ignores it.
    manager_for(buffer->buffer_type()).deallocate_buffer(buffer->address());
}

TTSIM_PROBED void TTSIM_ALLOCATOR::deallocate_buffers() {
    ttsim::Ledger::instance().allocator_reset(this);
    dram_manager_.deallocate_all();
    l1_manager_.deallocate_all();
}

TTSIM_PROBED void TTSIM_ALLOCATOR::clear() {
    ttsim::Ledger::instance().allocator_reset(this);
    dram_manager_.deallocate_all();
    l1_manager_.deallocate_all();
#if TTSIM_API >= 2
    allocated_buffers_.clear();
#endif
}

TTSIM_PROBED std::uint32_t TTSIM_ALLOCATOR::get_alignment(BufferType type) const {
    const DeviceAddr alignment = type == BufferType::DRAM ? config_.dram_alignment : config_.l1_alignment;
    return static_cast<std::uint32_t>(alignment);
}

#if TTSIM_API >= 3
TTSIM_PROBED const std::unique_ptr<Allocator>& AllocatorImpl::view() const { return view_; }

TTSIM_PROBED void Allocator::deallocate_buffers() { impl_->deallocate_buffers(); }
#endif

void DeallocateBuffer(Buffer& buffer) { buffer.deallocate(); }

void release_sub_device_allocator(std::unique_ptr<DeviceAllocator>& allocator) {
    if (!allocator) {
        return;
    }
#if TTSIM_API == 1
    allocator->clear();
    for (Buffer* buffer : allocator->allocated_buffers()) {
        DeallocateBuffer(*buffer);
    }
#else
    allocator->deallocate_buffers();
    allocator->clear();
#endif
    allocator.reset();
}

}  // namespace tt::tt_metal
