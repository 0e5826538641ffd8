#include "buffer.hpp"

#include <stdexcept>

#include "allocator.hpp"
#include "device.hpp"
#include "graph_tracking.hpp"
#include "ledger.hpp"

namespace tt::tt_metal {

// One spelling for a field in both layouts: impl_->x (2026) or x (mid 2025).
#if TTSIM_GEN == 2026
#define FIELD(name) (impl_->name)
#else
#define FIELD(name) (name)
#endif

std::shared_ptr<Buffer> Buffer::create(IDevice* device, DeviceAddr size, DeviceAddr page_size, BufferType type,
                                       std::optional<bool> bottom_up) {
    if (device == nullptr) {
        throw std::invalid_argument("Buffer::create: no device");
    }
    if (size == 0 || page_size == 0 || size % page_size != 0) {
        throw std::invalid_argument("Buffer::create: size must be a non-zero multiple of page_size");
    }
    auto buffer = std::make_shared<Buffer>(device, size, page_size, type, bottom_up.value_or(type == BufferType::DRAM),
                                           Private{});
    buffer->allocate_impl();
    return buffer;
}

#if TTSIM_GEN == 2026
Buffer::Buffer(IDevice* device, DeviceAddr size, DeviceAddr page_size, BufferType type, bool bottom_up, Private)
    : impl_(std::make_unique<BufferImpl>(device, size, page_size, type, bottom_up, device->allocator())) {}
#else
Buffer::Buffer(IDevice* device, DeviceAddr size, DeviceAddr page_size, BufferType type, bool bottom_up, Private)
    : device_(device), size_(size), buffer_type_(type), buffer_layout_(TensorMemoryLayout::INTERLEAVED),
      bottom_up_(bottom_up), owns_data_(true), allocator_(device->allocator()),
      allocation_status_(AllocationStatus::ALLOCATION_REQUESTED), page_size_(page_size) {}
#endif

Buffer::~Buffer() { deallocate_impl(); }

void Buffer::deallocate() { deallocate_impl(); }

// Real order: the allocator picks the address, address_ is set, then GraphTracker is told.
void Buffer::allocate_impl() {
    if (FIELD(allocator_) == nullptr || !device()->is_initialized()) {
        FIELD(allocation_status_) = AllocationStatus::ALLOCATION_FAILED;
        throw std::runtime_error("Buffer: device is not open or has no allocator");
    }
    try {
        FIELD(address_) = FIELD(allocator_)->allocate_buffer(this);
    } catch (...) {
        FIELD(allocation_status_) = AllocationStatus::ALLOCATION_FAILED;
        throw;
    }
    FIELD(allocation_status_) = AllocationStatus::ALLOCATED;
    ttsim::Ledger::instance().buffer_alloc({device()->id(), static_cast<int>(FIELD(buffer_type_)), FIELD(address_),
                                            FIELD(size_), FIELD(page_size_), this, FIELD(allocator_)});
    GraphTracker::instance().track_allocate(this);
}

// Real order: GraphTracker hears of it first, then the allocator frees. Both only while the
// device is open: after close the allocator was reset in bulk and the buffer is just forgotten.
void Buffer::deallocate_impl() {
    if (FIELD(allocation_status_) != AllocationStatus::ALLOCATED) {
        return;
    }
    if (device()->is_initialized() && FIELD(size_) != 0) {
        GraphTracker::instance().track_deallocate(this);
        ttsim::Ledger::instance().buffer_free(this);
        FIELD(allocator_)->deallocate_buffer(this);
    }
    FIELD(allocation_status_) = AllocationStatus::DEALLOCATED;
}

IDevice* Buffer::device() const { return FIELD(device_); }
DeviceAddr Buffer::size() const { return FIELD(size_); }
DeviceAddr Buffer::page_size() const { return FIELD(page_size_); }
BufferType Buffer::buffer_type() const { return FIELD(buffer_type_); }
bool Buffer::bottom_up() const { return FIELD(bottom_up_); }
DeviceAddr Buffer::address() const { return FIELD(address_); }
DeviceAllocator* Buffer::allocator() const { return FIELD(allocator_); }
bool Buffer::is_allocated() const { return FIELD(allocation_status_) == AllocationStatus::ALLOCATED; }

#undef FIELD

}  // namespace tt::tt_metal
