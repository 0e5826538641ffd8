#include "program.hpp"

#include <stdexcept>
#include <string>

#include "allocator.hpp"
#include "config.hpp"
#include "device.hpp"
#include "graph_tracking.hpp"
#include "ledger.hpp"

namespace tt::tt_metal {

CircularBufferConfig::CircularBufferConfig(std::uint32_t total_size, std::uint8_t buffer_index,
                                           std::uint32_t page_size)
    : total_size_(total_size), page_size_(page_size), buffer_index_(buffer_index) {
    if (total_size == 0 || page_size == 0 || total_size % page_size != 0) {
        throw std::invalid_argument("CircularBufferConfig: total size must be a non-zero multiple of the page size");
    }
}

CircularBufferConfig& CircularBufferConfig::set_globally_allocated_address(const Buffer& buffer) {
    if (buffer.buffer_type() != BufferType::L1 || buffer.size() < total_size_) {
        throw std::invalid_argument("CircularBufferConfig: a global CB needs an L1 buffer at least as large");
    }
    global_buffer_ = &buffer;
    return *this;
}

namespace detail {

TTSIM_PROBED ProgramImpl::~ProgramImpl() noexcept {
#if TTSIM_GEN == 2026
    ttsim::Ledger::instance().program_destroy(this);
    // The seeds' fix. Before it the destructor said nothing, and every GraphTracker listener
    // kept this program's CBs forever (leak switch cb_tracking).
    if (!ttsim::leak_enabled(ttsim::kLeakCbTracking)) {
        deallocate_circular_buffers();
    }
#endif
    // kernel_bin_bufs_ go with the members: each buffer is freed here unless dispatch still
    // holds it (leak switch kernel_binary).
}

TTSIM_PROBED CBHandle ProgramImpl::add_circular_buffer(const CoreRangeSet& core_range_set,
                                                       const CircularBufferConfig& config) {
    if (!cb_layouts_.empty()) {
        throw std::logic_error("add_circular_buffer: the program was already laid out on a device");
    }
    const CBHandle handle = circular_buffers_.size();
    circular_buffers_.push_back({handle, core_range_set, config});
    return handle;
}

void ProgramImpl::lay_out_circular_buffers(const void* owner, const IDevice* device) {
    if (cb_layouts_.count(device) != 0) {
        return;  // already laid out on this device: a cached program enqueued again
    }
    const DeviceAllocator& allocator = *device->allocator();
    const DeviceAddr alignment = allocator.config().l1_alignment;

    // CBs stack upward from the L1 allocator base; every program starts at the base because
    // programs run one at a time. Globally allocated CBs sit in their own L1 buffer.
    std::vector<DeviceAddr> addresses;
    DeviceAddr next = allocator.l1_base();
    for (const CircularBuffer& cb : circular_buffers_) {
        if (const Buffer* global = cb.config.globally_allocated_buffer()) {
            addresses.push_back(global->address());
            continue;
        }
        next = (next + alignment - 1) / alignment * alignment;
        addresses.push_back(next);
        next += cb.config.total_size();
    }
    // L1 buffers grow down from the top; the CB region must end below the lowest of them.
    const DeviceAddr limit = allocator.lowest_occupied_l1_address().value_or(allocator.config().l1_size);
    if (next > limit) {
        throw std::runtime_error("Statically allocated circular buffers on device " + std::to_string(device->id()) +
                                 " grow to " + std::to_string(next) + " B, beyond the L1 limit of " +
                                 std::to_string(limit) + " B");
    }

    cb_layouts_[device] = addresses;
    for (std::size_t i = 0; i < circular_buffers_.size(); ++i) {
        const CircularBuffer& cb = circular_buffers_[i];
        const bool global = cb.config.globally_allocated_buffer() != nullptr;
        ttsim::Ledger::instance().cb_alloc(device->id(), owner, addresses[i], cb.config.total_size(), global);
        GraphTracker::instance().track_allocate_cb(cb.core_ranges, addresses[i], cb.config.total_size(), global,
                                                   device);
    }
}

#if TTSIM_GEN == 2026
TTSIM_PROBED void ProgramImpl::allocate_circular_buffers(const IDevice* device) {
    lay_out_circular_buffers(this, device);
}
#endif

TTSIM_PROBED void ProgramImpl::deallocate_circular_buffers() {
#if TTSIM_GEN == 2026
    for (const auto& [device, addresses] : cb_layouts_) {
        GraphTracker::instance().track_deallocate_cb(device);
    }
#else
    if (!cb_layouts_.empty()) {
        GraphTracker::instance().track_deallocate_cb();
    }
#endif
    cb_layouts_.clear();
}

TTSIM_PROBED void ProgramImpl::allocate_kernel_bin_buf_on_device(IDevice* device) {
    if (kernel_bin_bufs_.count(device) != 0) {
        return;  // binaries already on this device
    }
    ttsim::SiteScope site(ttsim::Site::kernel_binary);
    // Top-down, so binaries stay clear of the bottom-up user buffers: the first lands at
    // 0x40000000 - 4096 = 0x3FFFF000 on a fresh device.
    kernel_bin_bufs_[device] =
        Buffer::create(device, kKernelBinarySize, kKernelBinaryPageSize, BufferType::DRAM, /*bottom_up=*/false);
}

std::vector<DeviceAddr> ProgramImpl::cb_addresses(const IDevice* device) const {
    const auto it = cb_layouts_.find(device);
    return it == cb_layouts_.end() ? std::vector<DeviceAddr>{} : it->second;
}

std::shared_ptr<Buffer> ProgramImpl::kernel_bin_buf(const IDevice* device) const {
    const auto it = kernel_bin_bufs_.find(device);
    return it == kernel_bin_bufs_.end() ? nullptr : it->second;
}

}  // namespace detail

Program::Program() : internal_(std::make_shared<detail::ProgramImpl>()) {}

#if TTSIM_GEN == 2026
// "= default" in tt-metal; written out so that it can carry the noinline attribute. Releasing
// internal_ runs ~ProgramImpl, which does the work.
TTSIM_PROBED Program::~Program() noexcept {}
#else
TTSIM_PROBED Program::~Program() noexcept {
    if (!internal_) {
        return;  // moved from
    }
    ttsim::Ledger::instance().program_destroy(this);
    if (!ttsim::leak_enabled(ttsim::kLeakCbTracking)) {
        internal_->deallocate_circular_buffers();  // the seeds' fix, in its mid-2025 place
    }
}

TTSIM_PROBED void Program::allocate_circular_buffers(const IDevice* device) {
    internal_->lay_out_circular_buffers(this, device);
}
#endif

Program::Program(Program&& other) noexcept = default;

CBHandle CreateCircularBuffer(Program& program, const CoreRangeSet& core_spec, const CircularBufferConfig& config) {
    return program.impl().add_circular_buffer(core_spec, config);
}

}  // namespace tt::tt_metal
