#include "program.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "allocator.hpp"
#include "config.hpp"
#include "device.hpp"
#include "graph_tracking.hpp"
#include "ledger.hpp"
#include "mesh_buffer.hpp"
#include "mesh_device.hpp"

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

// E5 (a8c5af0f5a program.cpp): deallocate_circular_buffers() reports the CBs gone on every
// device they were reported to. Before, nothing: every GraphTracker listener kept every
// program's CBs (seed 1). Kernel binaries go with the members either way.
TTSIM_PROBED ProgramImpl::~ProgramImpl() noexcept {
    ttsim::Ledger::instance().program_destroy(this);
#if TTSIM_API >= 5
    deallocate_circular_buffers();
#endif
}

TTSIM_PROBED CBHandle ProgramImpl::add_circular_buffer(const CoreRangeSet& core_range_set,
                                                       const CircularBufferConfig& config) {
    if (layout_done_) {
        throw std::logic_error("add_circular_buffer: the program was already laid out");
    }
    const CBHandle handle = circular_buffers_.size();
    circular_buffers_.push_back({handle, core_range_set, config});
    return handle;
}

// CBs stack upward from the L1 allocator base of `device`; every program starts at the base
// because programs run one at a time. Globally allocated CBs sit in their own L1 buffer.
std::vector<DeviceAddr> ProgramImpl::compute_layout(const IDevice* device) const {
    const DeviceAllocator& allocator = *device->allocator_impl();
    const DeviceAddr alignment = allocator.config().l1_alignment;
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
    return addresses;
}

void ProgramImpl::report(const IDevice* device, const CircularBuffer& cb, DeviceAddr address) {
    const bool global = cb.config.globally_allocated_buffer() != nullptr;
    ttsim::Ledger::instance().cb_alloc(ttsim::dev_key(device), this, address, cb.config.total_size(), global);
    GraphTracker::instance().track_allocate_cb(cb.core_ranges, address, cb.config.total_size(), global, device);
}

// The devices a layout is reported to. E5 fans a MeshDevice out to its chips and remembers
// them in cb_devices_; before, the device argument itself is reported (a MeshDevice too).
std::vector<const IDevice*> ProgramImpl::register_devices(const IDevice* device) {
    std::vector<const IDevice*> devices{device};
#if TTSIM_API >= 5
    if (const auto* mesh = dynamic_cast<const distributed::MeshDevice*>(device)) {
        devices.assign(mesh->get_devices().begin(), mesh->get_devices().end());
    }
#endif
    return devices;
}

TTSIM_PROBED void ProgramImpl::allocate_circular_buffers(const IDevice* device) {
    const std::vector<const IDevice*> devices = register_devices(device);
#if TTSIM_API >= 5
    std::vector<const IDevice*> new_devices;
    for (const IDevice* dev : devices) {
        if (std::find(cb_devices_.begin(), cb_devices_.end(), dev) == cb_devices_.end()) {
            cb_devices_.push_back(dev);
            new_devices.push_back(dev);
        }
    }
    if (layout_done_) {
        // A cached layout is reported again, without its global CBs, to devices not seen before.
        for (const IDevice* dev : new_devices) {
            for (std::size_t i = 0; i < circular_buffers_.size(); ++i) {
                if (circular_buffers_[i].config.globally_allocated_buffer() == nullptr) {
                    report(dev, circular_buffers_[i], cb_addresses_[i]);
                }
            }
        }
        return;
    }
#else
    if (layout_done_) {
        return;  // a cached program: laid out and reported once
    }
#endif
    cb_addresses_ = compute_layout(device);
    for (std::size_t i = 0; i < circular_buffers_.size(); ++i) {
        for (const IDevice* dev : devices) {
            report(dev, circular_buffers_[i], cb_addresses_[i]);
        }
    }
    layout_done_ = true;
}

#if TTSIM_API >= 5
TTSIM_PROBED void ProgramImpl::deallocate_circular_buffers() {
    if (cb_devices_.empty() || circular_buffers_.empty()) {
        return;
    }
    for (const IDevice* device : cb_devices_) {
        // The ledger records the report here: track_deallocate_cb returns at once when no
        // listener is installed, but the call is what the tracer sees.
        ttsim::Ledger::instance().cb_dealloc_report(ttsim::dev_key(device));
        GraphTracker::instance().track_deallocate_cb(device);
    }
    cb_devices_.clear();
}
#endif

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

// MeshWorkloadImpl's kernel_bin_buf_ (mesh_workload.cpp, every era): a replicated MeshBuffer
// on the mesh allocator, created once and kept as long as the cached workload.
void ProgramImpl::allocate_kernel_bin_mesh_buffer(distributed::MeshDevice& mesh) {
    if (kernel_bin_mesh_buf_) {
        return;
    }
    ttsim::SiteScope site(ttsim::Site::kernel_binary);
    kernel_bin_mesh_buf_ =
        distributed::MeshBuffer::create(mesh, kKernelBinarySize, kKernelBinaryPageSize, BufferType::DRAM, false);
}

std::shared_ptr<Buffer> ProgramImpl::kernel_bin_buf(const IDevice* device) const {
    const auto it = kernel_bin_bufs_.find(device);
    return it == kernel_bin_bufs_.end() ? nullptr : it->second;
}

}  // namespace detail

Program::Program() : internal_(std::make_shared<detail::ProgramImpl>()) {}

// "= default" in tt-metal; written out so that it can carry the noinline attribute. Releasing
// internal_ runs ~ProgramImpl, which does the work.
TTSIM_PROBED Program::~Program() noexcept {}

#if TTSIM_API == 1
TTSIM_PROBED void Program::allocate_circular_buffers(const IDevice* device) {
    internal_->allocate_circular_buffers(device);
}
#endif

Program::Program(Program&& other) noexcept = default;

CBHandle CreateCircularBuffer(Program& program, const CoreRangeSet& core_spec, const CircularBufferConfig& config) {
    return program.impl().add_circular_buffer(core_spec, config);
}

}  // namespace tt::tt_metal
