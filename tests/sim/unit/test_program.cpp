// Programs on a device, observed through a GraphTracker processor: CB and kernel-binary
// addresses, the call order around buffer allocation and deallocation, and what close does.
// Leak switches are off here (the runtime's default); test_ledger covers them.
#include <stdexcept>
#include <string>
#include <vector>

#include "allocator.hpp"
#include "graph_tracking.hpp"
#include "sim_test.hpp"

namespace {

namespace metal = tt::tt_metal;
using simtest::throws;

struct Event {
    std::string what;
    std::uint64_t addr = 0;
    std::uint64_t size = 0;
    const void* device = nullptr;
    bool global = false;
    bool consistent = false;  // the call-order invariant held when the event came
};

// Records GraphTracker events and checks, at each one, what the real call order promises.
class Recorder : public metal::IGraphProcessor {
public:
    void track_allocate(const metal::Buffer* b) override {
        // The address is set and the allocator already holds the buffer.
        const bool holds = b->allocator_impl()->num_allocated_buffers() > 0 && b->is_allocated();
        events.push_back({"alloc", b->address(), b->size(), b->device(), false, holds});
    }
    void track_deallocate(metal::Buffer* b) override {
        // Called before the free: the bank manager still holds the address.
        const auto& bank = b->allocator_impl()->bank_manager(b->buffer_type());
        events.push_back({"free", b->address(), b->size(), b->device(), false, bank.num_allocated() > 0});
    }
    void track_allocate_cb(const metal::CoreRangeSet& ranges, std::uint64_t addr, std::uint64_t size, bool global,
                           const metal::IDevice* device) override {
        events.push_back({"cb_alloc", addr, size, device, global, ranges.num_cores() == 64});
    }
    void track_deallocate_cb(const metal::IDevice* device) override {
        events.push_back({"cb_dealloc", 0, 0, device, false, true});
    }
    void track_program(metal::Program*, const metal::IDevice* device) override {
        events.push_back({"program", 0, 0, device, false, true});
    }

    std::vector<Event> of(const std::string& what) const {
        std::vector<Event> out;
        for (const Event& e : events) {
            if (e.what == what) {
                out.push_back(e);
            }
        }
        return out;
    }

    std::vector<Event> events;
};

struct Tracked {
    Tracked() : recorder(std::make_shared<Recorder>()) { metal::GraphTracker::instance().push_processor(recorder); }
    ~Tracked() { metal::GraphTracker::instance().pop_processor(); }
    std::shared_ptr<Recorder> recorder;
};

const metal::CoreRangeSet kGrid(metal::CoreRange({0, 0}, {7, 7}));

std::shared_ptr<metal::Program> seed_program() {
    auto program = std::make_shared<metal::Program>();
    metal::CreateCircularBuffer(*program, kGrid, metal::CircularBufferConfig(4096, 0, 2048));
    metal::CreateCircularBuffer(*program, kGrid, metal::CircularBufferConfig(4096, 1, 2048));
    metal::CreateCircularBuffer(*program, kGrid, metal::CircularBufferConfig(2048, 16, 2048));
    return program;
}

void cb_and_kernel_binary_addresses(void**) {
    Tracked t;
    metal::IDevice* device = metal::CreateDevice(0);
    auto first = seed_program();
    metal::EnqueueProgram(device, first, 1);

    const auto cbs = t.recorder->of("cb_alloc");
    assert_int_equal(cbs.size(), 3);
    const std::uint64_t addrs[] = {101152, 105248, 109344};
    const std::uint64_t sizes[] = {4096, 4096, 2048};
    for (int i = 0; i < 3; ++i) {
        assert_int_equal(cbs[i].addr, addrs[i]);
        assert_int_equal(cbs[i].size, sizes[i]);
        assert_ptr_equal(cbs[i].device, device);
        assert_false(cbs[i].global);
        assert_true(cbs[i].consistent);  // the CB's core ranges are passed through
    }
    assert_true(first->impl().cb_addresses() == std::vector<metal::DeviceAddr>(addrs, addrs + 3));

    // The kernel binary: 24 KiB DRAM, 2 KiB pages, top-down, at 0x3FFFF000 on a fresh device.
    {
        const auto kernel = first->impl().kernel_bin_buf(device);  // released before close
        assert_int_equal(kernel->address(), 0x3FFFF000);
        assert_int_equal(kernel->size(), 24576);
        assert_int_equal(kernel->page_size(), 2048);
        assert_false(kernel->bottom_up());
        assert_int_equal(kernel->buffer_type(), metal::BufferType::DRAM);
    }
    assert_int_equal(t.recorder->of("alloc").size(), 1);

    // Enqueued again: cached, laid out, binaries present; nothing new but the program event.
    metal::EnqueueProgram(device, first, 1);
    assert_int_equal(t.recorder->of("cb_alloc").size(), 3);
    assert_int_equal(t.recorder->of("alloc").size(), 1);
    assert_int_equal(t.recorder->of("program").size(), 2);

    // Every program's CBs start at the CB region base; binaries stack down.
    auto second = seed_program();
    metal::EnqueueProgram(device, second, 2);
    assert_true(second->impl().cb_addresses() == std::vector<metal::DeviceAddr>(addrs, addrs + 3));
    assert_int_equal(second->impl().kernel_bin_buf(device)->address(), 0x3FFFE000);
    assert_int_equal(metal::physical_device(device).num_cached_programs(), 2);

    first.reset();
    second.reset();
    assert_int_equal(t.recorder->of("cb_dealloc").size(), 0);  // the cache keeps them
    assert_true(metal::CloseDevice(device));

    // Close destroyed both: from E5 on one CB report each, for the device; before, none ever.
    // Both kernel binaries are freed individually.
    const auto reports = t.recorder->of("cb_dealloc");
    assert_int_equal(reports.size(), TTSIM_API >= 5 ? 2 : 0);
    for (const Event& e : reports) {
        assert_ptr_equal(e.device, device);
    }
    const auto frees = t.recorder->of("free");
    assert_int_equal(frees.size(), 2);
    assert_int_equal(frees[0].addr, 0x3FFFF000);
    assert_int_equal(frees[1].addr, 0x3FFFE000);
}

void buffer_call_order(void**) {
    Tracked t;
    metal::IDevice* device = metal::CreateDevice(0);
    auto buffer = metal::Buffer::create(device, 65536, 2048, metal::BufferType::DRAM);
    buffer.reset();
    assert_int_equal(t.recorder->events.size(), 2);
    const Event& alloc = t.recorder->events[0];
    const Event& free = t.recorder->events[1];
    assert_string_equal(alloc.what.c_str(), "alloc");
    assert_int_equal(alloc.addr, 4096);  // the bottom of each DRAM bank is reserved
    assert_int_equal(alloc.size, 65536);
    assert_true(alloc.consistent);
    assert_string_equal(free.what.c_str(), "free");
    assert_true(free.consistent);
    assert_int_equal(device->allocator_impl()->num_allocated_buffers(), 0);
    metal::CloseDevice(device);
}

// Close resets the allocator in bulk, then it is gone. E1's ~SubDeviceManager deallocates
// each buffer still allocated one by one after the reset, so a listener sees a free; later
// eras raise no event at all.
void close_reclaims_in_bulk(void**) {
    Tracked t;
    metal::IDevice* device = metal::CreateDevice(0);
    auto kept = metal::Buffer::create(device, 8192, 2048, metal::BufferType::L1);
    assert_true(metal::CloseDevice(device));
    assert_false(device->is_initialized());
    assert_null(device->allocator_impl());
    assert_int_equal(t.recorder->of("free").size(), TTSIM_API == 1 ? 1 : 0);
    assert_int_equal(kept->is_allocated(), TTSIM_API != 1);
    kept.reset();  // on a closed device: forgotten, not freed
    assert_int_equal(t.recorder->of("free").size(), TTSIM_API == 1 ? 1 : 0);
    assert_false(metal::CloseDevice(device));  // already closed
}

// A mesh workload: kernel binary in a MeshBuffer on the mesh allocator, CBs reported to the
// mesh (E1-E4) or to each chip (E5); the cached binary survives close() and is reclaimed.
void mesh_workload(void**) {
    Tracked t;
    auto mesh = metal::distributed::MeshDevice::create({0, 1});
    auto program = seed_program();
    mesh->enqueue_workload(program, 1);
    mesh->enqueue_workload(program, 1);  // cache hit: nothing new
    const auto cbs = t.recorder->of("cb_alloc");
    assert_int_equal(cbs.size(), TTSIM_API >= 5 ? 6 : 3);
    if (TTSIM_API >= 5) {
        assert_ptr_equal(cbs[0].device, mesh->get_devices()[0]);
        assert_ptr_equal(cbs[1].device, mesh->get_devices()[1]);
    } else {
        assert_ptr_equal(cbs[0].device, mesh.get());
    }
    {
        const auto kb = program->impl().kernel_bin_mesh_buffer();  // must not outlive the mesh
        assert_non_null(kb.get());
        assert_int_equal(kb->address(), 0x3FFFF000);
        assert_ptr_equal(kb->get_backing_buffer()->device(), mesh.get());
    }
    program.reset();
    assert_true(mesh->close());
    assert_non_null(mesh->find_cached_program(1).get());  // close() leaves the program cache alone
    assert_int_equal(t.recorder->of("free").size(), TTSIM_API == 1 ? 1 : 0);
    mesh.reset();
    assert_int_equal(t.recorder->of("cb_dealloc").size(), TTSIM_API >= 5 ? 2 : 0);
}

void globally_allocated_cb(void**) {
    Tracked t;
    metal::IDevice* device = metal::CreateDevice(0);
    auto backing = metal::Buffer::create(device, 8192, 2048, metal::BufferType::L1);
    auto program = std::make_shared<metal::Program>();
    metal::CreateCircularBuffer(*program, kGrid, metal::CircularBufferConfig(4096, 0, 2048));
    metal::CreateCircularBuffer(*program, kGrid,
                                metal::CircularBufferConfig(2048, 1, 2048).set_globally_allocated_address(*backing));
    metal::CreateCircularBuffer(*program, kGrid, metal::CircularBufferConfig(2048, 16, 2048));
    metal::EnqueueProgram(device, program, 7);
    const auto cbs = t.recorder->of("cb_alloc");
    assert_int_equal(cbs.size(), 3);
    assert_int_equal(cbs[0].addr, 101152);
    assert_int_equal(cbs[1].addr, backing->address());
    assert_true(cbs[1].global);
    assert_int_equal(cbs[2].addr, 105248);  // the global CB takes no CB-region space
    program.reset();
    metal::CloseDevice(device);
}

void cb_region_clash_with_l1_buffers(void**) {
    Tracked t;
    metal::IDevice* device = metal::CreateDevice(0);
    // Leave 8 KiB per bank above the CB region base; the seeds' CBs need 10 KiB.
    const std::uint64_t per_bank = (1499136 - 101152) - 8192;
    auto big = metal::Buffer::create(device, 64 * per_bank, per_bank, metal::BufferType::L1);
    assert_int_equal(big->address(), 101152 + 8192);
    auto program = seed_program();
    assert_true(throws<std::runtime_error>([&] { metal::EnqueueProgram(device, program, 1); }));
    assert_int_equal(t.recorder->of("cb_alloc").size(), 0);
    assert_true(program->impl().cb_addresses().empty());
    big.reset();
    metal::EnqueueProgram(device, program, 1);  // fits once the buffer is gone
    assert_int_equal(t.recorder->of("cb_alloc").size(), 3);
    program.reset();
    metal::CloseDevice(device);
}

void mesh_close_closes_each_device(void**) {
    auto mesh = metal::distributed::MeshDevice::create({0, 1});
    const auto devices = mesh->get_devices();
    assert_int_equal(devices.size(), 2);
    assert_int_equal(devices[0]->id(), 0);
    assert_int_equal(devices[1]->id(), 1);
    assert_true(devices[0]->is_initialized() && devices[1]->is_initialized());
    assert_true(mesh->close());
    assert_false(devices[0]->is_initialized() || devices[1]->is_initialized());
    assert_false(mesh->close());
}

// A mesh keeps its device objects alive: a buffer dropped after the mesh closed and its chip
// reopened still finds its (closed) device. Meaningful under AddressSanitizer.
void mesh_devices_outlive_a_reopen(void**) {
    Tracked t;
    auto mesh = metal::distributed::MeshDevice::create({0});
    auto buffer = metal::Buffer::create(mesh->get_devices()[0], 2048, 2048, metal::BufferType::L1);
    mesh->close();
    metal::IDevice* reopened = metal::CreateDevice(0);  // replaces chip 0 in the device pool
    assert_ptr_not_equal(reopened, mesh->get_devices()[0]);
    buffer.reset();
    // Only e1's close deallocates the reclaimed buffer one by one (while the chip is open).
    assert_int_equal(t.recorder->of("free").size(), TTSIM_API == 1 ? 1 : 0);
    metal::CloseDevice(reopened);
}

void misuse_is_refused(void**) {
    metal::IDevice* device = metal::CreateDevice(0);
    assert_true(throws<std::logic_error>([] { metal::CreateDevice(0); }));  // open already
    auto program = seed_program();
    metal::EnqueueProgram(device, program, 1);
    assert_true(throws<std::logic_error>([&] {
        metal::CreateCircularBuffer(*program, kGrid, metal::CircularBufferConfig(2048, 2, 2048));
    }));
    assert_true(throws<std::invalid_argument>([&] { metal::EnqueueProgram(device, seed_program(), 1); }));
    assert_true(throws<std::invalid_argument>(
        [&] { metal::Buffer::create(device, 3000, 2048, metal::BufferType::DRAM); }));
    assert_true(throws<std::invalid_argument>(
        [&] { metal::Buffer::create(device, 2048, 2048, metal::BufferType::TRACE); }));
    program.reset();
    metal::CloseDevice(device);
    assert_true(throws<std::logic_error>([&] { metal::EnqueueProgram(device, seed_program(), 2); }));
    assert_true(throws<std::runtime_error>(
        [&] { metal::Buffer::create(device, 2048, 2048, metal::BufferType::DRAM); }));
    metal::CloseDevice(metal::CreateDevice(0));  // a closed chip opens again
}

}  // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(cb_and_kernel_binary_addresses),
        cmocka_unit_test(buffer_call_order),
        cmocka_unit_test(close_reclaims_in_bulk),
        cmocka_unit_test(mesh_workload),
        cmocka_unit_test(globally_allocated_cb),
        cmocka_unit_test(cb_region_clash_with_l1_buffers),
        cmocka_unit_test(mesh_close_closes_each_device),
        cmocka_unit_test(mesh_devices_outlive_a_reopen),
        cmocka_unit_test(misuse_is_refused),
    };
    return cmocka_run_group_tests_name("sim_program_" TTSIM_ERA_NAME, tests, nullptr, nullptr);
}
