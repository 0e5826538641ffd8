#include "buffer.hpp"

#include <stdexcept>

#include "allocator.hpp"
#include "device.hpp"
#include "graph_tracking.hpp"
#include "ledger.hpp"

namespace tt::tt_metal {
namespace {

bool is_l1_type(BufferType type) { return type == BufferType::L1 || type == BufferType::L1_SMALL; }

void check_geometry(IDevice* device, DeviceAddr size, DeviceAddr page_size) {
    if (device == nullptr) {
        throw std::invalid_argument("Buffer::create: no device");
    }
    if (size == 0 || page_size == 0 || size % page_size != 0) {
        throw std::invalid_argument("Buffer::create: size must be a non-zero multiple of page_size");
    }
}

ttsim::BufferFacts facts_of(const Buffer& b, DeviceAddr address) {
    return {ttsim::dev_key(b.device()), static_cast<int>(b.buffer_type()), address, b.size(), b.page_size(), &b,
            b.allocator_impl()};
}

}  // namespace

#if TTSIM_BUFFER_PIMPL
#else
#endif

#if TTSIM_BUFFER_PIMPL
BufferImpl::BufferImpl(const BufferArgs& a)
#else
Buffer::Buffer(const BufferArgs& a, Private)
#endif
    : device_(a.device), size_(a.size), buffer_type_(a.type), buffer_layout_(TensorMemoryLayout::INTERLEAVED),
      bottom_up_(a.bottom_up), owns_data_(a.owns_data), allocator_(a.allocator),
      allocation_status_(AllocationStatus::ALLOCATION_REQUESTED), page_size_(a.page_size) {
}

#if TTSIM_BUFFER_PIMPL
Buffer::Buffer(const BufferArgs& a, Private) : impl_(std::make_unique<BufferImpl>(a)) {}
#endif

std::shared_ptr<Buffer> Buffer::create(IDevice* device, DeviceAddr size, DeviceAddr page_size, BufferType type,
                                       std::optional<bool> bottom_up) {
    check_geometry(device, size, page_size);
    const BufferArgs args{device, size, page_size, type, bottom_up.value_or(type == BufferType::DRAM), true,
                          device->allocator_impl()};
    auto buffer = std::make_shared<Buffer>(args, Private{});
    buffer->allocate_impl();
    return buffer;
}

std::shared_ptr<Buffer> Buffer::create(IDevice* device, DeviceAddr address, DeviceAddr size, DeviceAddr page_size,
                                       BufferType type) {
    check_geometry(device, size, page_size);
    const BufferArgs args{device, size, page_size, type, type == BufferType::DRAM, false, device->allocator_impl()};
    auto buffer = std::make_shared<Buffer>(args, Private{});
    buffer->fields().address_ = address;
    buffer->fields().allocation_status_ = AllocationStatus::ALLOCATED;
    return buffer;
}

// ~Buffer -> deallocate(), which leaves views alone (buffer.cpp, all eras).
Buffer::~Buffer() {
    if (fields().allocation_status_ != AllocationStatus::DEALLOCATED) {
        deallocate();
    }
}

void Buffer::deallocate() {
    if (!fields().owns_data_) {
        return;
    }
    deallocate_impl();
}

// Real order (since #17436, 4078e26b7f): the allocator picks the address, then GraphTracker
// is told. Under a hook (ttnn's NO_DISPATCH graph capture) there is no allocation at all:
// address 0, hooked_allocation_ set, and track_allocate still runs (f3fb62fe09).
TTSIM_PROBED void Buffer::allocate_impl() {
    auto& f = fields();
    if (f.allocator_ == nullptr || !f.device_->is_initialized()) {
        f.allocation_status_ = AllocationStatus::ALLOCATION_FAILED;
        throw std::runtime_error("Buffer: device is not open or has no allocator");
    }
    if (GraphTracker::instance().hook_allocate(this)) {
        f.address_ = 0;
        f.hooked_allocation_ = true;
    } else {
        try {
            f.address_ = f.allocator_->allocate_buffer(this);
        } catch (...) {
            f.allocation_status_ = AllocationStatus::ALLOCATION_FAILED;
            throw;
        }
    }
    f.allocation_status_ = AllocationStatus::ALLOCATED;
    if (f.hooked_allocation_) {
        ttsim::Ledger::instance().hooked_alloc(facts_of(*this, 0));
    } else {
        ttsim::Ledger::instance().buffer_alloc(facts_of(*this, f.address_));
    }
    GraphTracker::instance().track_allocate(this);
}

// Real order: GraphTracker hears of it first, then the allocator frees, unless the
// allocation was hooked. Both only while the device is open: after close the allocator was
// reset and the buffer is just forgotten.
TTSIM_PROBED void Buffer::deallocate_impl() {
    auto& f = fields();
    if (f.allocation_status_ != AllocationStatus::ALLOCATED) {
        return;
    }
    if (f.device_->is_initialized() && f.size_ != 0) {
        GraphTracker::instance().track_deallocate(this);
        if (f.hooked_allocation_) {
            ttsim::Ledger::instance().hooked_free(this);
        } else {
            ttsim::Ledger::instance().buffer_free(this);
        }
        if (!GraphTracker::instance().hook_deallocate(this) && !f.hooked_allocation_) {
            f.allocator_->deallocate_buffer(this);
        }
    }
    f.allocation_status_ = AllocationStatus::DEALLOCATED;
}

TTSIM_PROBED std::uint32_t Buffer::address() const {
    if (fields().allocation_status_ == AllocationStatus::ALLOCATION_REQUESTED) {
        throw std::runtime_error("Can only query the address of a buffer that has been allocated");
    }
    return static_cast<std::uint32_t>(fields().address_);
}

TTSIM_PROBED DeviceAddr Buffer::page_size() const { return fields().page_size_; }

TTSIM_PROBED std::uint32_t Buffer::num_pages() const {
    return page_size() == 0 ? 0 : static_cast<std::uint32_t>(size() / page_size());
}

TTSIM_PROBED bool Buffer::is_dram() const {
    return buffer_type() == BufferType::DRAM || buffer_type() == BufferType::TRACE;
}
TTSIM_PROBED bool Buffer::is_l1() const { return is_l1_type(buffer_type()); }
TTSIM_PROBED bool Buffer::is_trace() const { return buffer_type() == BufferType::TRACE; }

TTSIM_PROBED bool Buffer::is_valid_region(const BufferRegion& region) const {
    return region.offset + region.size <= size();
}

TTSIM_PROBED std::uint32_t Buffer::alignment() const { return fields().allocator_->get_alignment(buffer_type()); }

#if TTSIM_API >= 3
TTSIM_PROBED Allocator* Buffer::allocator() const { return fields().allocator_->view().get(); }
#endif

}  // namespace tt::tt_metal
