// Object layouts the tracer reads, per era variant (runtime/gen.hpp, buffer.hpp,
// mesh_device.hpp): each field is checked twice, by its offset as a member and by reading raw
// bytes at that offset from a live object, which is what the BPF side does. The exported
// accessors must agree with the raw reads.
#include <cstring>
#include <type_traits>

#include "allocator.hpp"
#include "sim_test.hpp"

namespace tt::tt_metal {

std::ptrdiff_t offset(const void* object, const void* field) {
    return static_cast<const char*>(field) - static_cast<const char*>(object);
}

template <typename T>
T read_at(const void* object, std::ptrdiff_t off) {
    T value;
    std::memcpy(&value, static_cast<const char*>(object) + off, sizeof value);
    return value;
}

// Where the fields start (the object read) and each field's offset from there.
struct BufferOffsets {
    std::ptrdiff_t device, size, type, allocator, status, address, page_size;
};

#if TTSIM_API == 1 || TTSIM_BUFFER_PIMPL
constexpr BufferOffsets kBuffer{0, 8, 16, 48, 56, 64, 72};
#elif TTSIM_BUFFER_EXTRA
constexpr BufferOffsets kBuffer{16, 24, 32, 72, 80, 88, 96};
#else
constexpr BufferOffsets kBuffer{16, 24, 32, 64, 72, 80, 88};
#endif

struct BufferLayoutProbe {
    static void check(const Buffer& b) {
#if TTSIM_BUFFER_PIMPL
        assert_int_equal(offset(&b, &b.impl_), 16);
        const BufferImpl& f = *b.impl_;
        assert_ptr_equal(read_at<const void*>(&b, 16), &f);
#else
        const Buffer& f = b;
#endif
        assert_int_equal(offset(&f, &f.device_), kBuffer.device);
        assert_int_equal(offset(&f, &f.size_), kBuffer.size);
        assert_int_equal(offset(&f, &f.buffer_type_), kBuffer.type);
        assert_int_equal(offset(&f, &f.allocator_), kBuffer.allocator);
        assert_int_equal(offset(&f, &f.allocation_status_), kBuffer.status);
        assert_int_equal(offset(&f, &f.hooked_allocation_), kBuffer.status + 1);
        assert_int_equal(offset(&f, &f.address_), kBuffer.address);
        assert_int_equal(offset(&f, &f.page_size_), kBuffer.page_size);
        // Raw reads at the tracer's offsets give the accessors' values.
        assert_ptr_equal(read_at<const void*>(&f, kBuffer.device), b.device());
        assert_int_equal(read_at<std::uint64_t>(&f, kBuffer.size), b.size());
        assert_int_equal(read_at<int>(&f, kBuffer.type), static_cast<int>(b.buffer_type()));
        assert_ptr_equal(read_at<const void*>(&f, kBuffer.allocator), b.allocator_impl());
        assert_int_equal(read_at<std::uint8_t>(&f, kBuffer.status), 2);  // ALLOCATED
        assert_int_equal(read_at<std::uint64_t>(&f, kBuffer.address), b.address());
        assert_int_equal(read_at<std::uint64_t>(&f, kBuffer.page_size), b.page_size());
        assert_int_equal(b.num_pages(), b.size() / b.page_size());
        assert_int_equal(b.is_dram(), b.buffer_type() == BufferType::DRAM);
        assert_int_equal(b.is_l1(), b.buffer_type() == BufferType::L1);
        assert_false(b.is_trace());
        assert_true(b.is_valid_region({0, b.size()}));
        assert_false(b.is_valid_region({b.page_size(), b.size()}));
        assert_int_equal(b.alignment(), b.is_dram() ? 4096 : 16);
#if TTSIM_API >= 3
        assert_ptr_equal(b.allocator(), b.allocator_impl()->view().get());
#else
        assert_ptr_equal(b.allocator(), b.allocator_impl());
#endif
    }
};

struct DeviceLayoutProbe {
    static void check(const Device& d, ChipId chip) {
        const std::ptrdiff_t expected = TTSIM_API >= 4 ? 24 : 8;
        assert_int_equal(offset(&d, &d.id_), expected);
        assert_int_equal(read_at<int>(&d, expected), chip);
        // IDevice is the primary base: an IDevice* is the Device*, with the vtable at 0.
        assert_ptr_equal(static_cast<const IDevice*>(&d), &d);
    }
};

namespace distributed {
struct MeshLayoutProbe {
    static void check(const MeshDevice& m) {
        assert_ptr_equal(static_cast<const IDevice*>(&m), &m);
#if TTSIM_API >= 3
        assert_int_equal(offset(&m, &m.pimpl_), 24);
        const MeshDeviceImpl& h = *m.pimpl_;
        assert_ptr_equal(read_at<const void*>(&m, 24), &h);
        const std::ptrdiff_t id_offset = TTSIM_API >= 4 ? 80 : 72;
#else
        const MeshDevice& h = m;
        const std::ptrdiff_t id_offset = TTSIM_API == 2 ? 88 : 40;
#endif
        assert_int_equal(offset(&h, &h.mesh_id_), id_offset);
        assert_int_equal(offset(&h, &h.scoped_devices_), id_offset - 16);
        assert_int_equal(read_at<int>(&h, id_offset), m.id());
    }
};
}  // namespace distributed

struct ProgramLayoutProbe {
    static void check(const Program& p) {
        assert_int_equal(sizeof(Program), sizeof(std::shared_ptr<detail::ProgramImpl>));
        assert_int_equal(offset(&p, &p.internal_), 0);
        assert_ptr_equal(read_at<const void*>(&p, 0), &p.impl());  // shared_ptr stores the pointer first
    }
};

}  // namespace tt::tt_metal

namespace {

namespace metal = tt::tt_metal;

static_assert(static_cast<int>(metal::BufferType::DRAM) == 0);
static_assert(static_cast<int>(metal::BufferType::L1) == 1);
static_assert(static_cast<int>(metal::BufferType::SYSTEM_MEMORY) == 2);
static_assert(static_cast<int>(metal::BufferType::L1_SMALL) == 3);
static_assert(static_cast<int>(metal::BufferType::TRACE) == 4);
static_assert(sizeof(metal::BufferType) == 4);
static_assert(std::is_polymorphic_v<metal::IDevice>);

void buffer_layout(void**) {
    metal::IDevice* device = metal::CreateDevice(3);
    auto l1 = metal::Buffer::create(device, 8192, 2048, metal::BufferType::L1);
    auto dram = metal::Buffer::create(device, 65536, 2048, metal::BufferType::DRAM);
    metal::BufferLayoutProbe::check(*l1);
    metal::BufferLayoutProbe::check(*dram);
    assert_int_equal(l1->address(), 1499136 - 2048);
    assert_int_equal(dram->address(), 4096);  // above the reserved bottom of the bank
    l1.reset();
    dram.reset();
    metal::CloseDevice(device);
}

void mesh_buffer_layout(void**) {
    auto mesh = metal::distributed::MeshDevice::create({0, 1});
    metal::distributed::MeshLayoutProbe::check(*mesh);
    auto buffer = metal::distributed::MeshBuffer::create(*mesh, 65536, 2048, metal::BufferType::DRAM);
    metal::Buffer& backing = *buffer->get_backing_buffer();
    metal::BufferLayoutProbe::check(backing);
    assert_ptr_equal(backing.device(), mesh.get());  // device_ is the MeshDevice
    assert_ptr_equal(backing.allocator_impl(), mesh->allocator_impl());
    for (std::size_t chip = 0; chip < 2; ++chip) {
        assert_int_equal(buffer->get_device_buffer(chip)->address(), backing.address());
    }
    mesh->close();
}

void device_id_offset(void**) {
    metal::IDevice* device = metal::CreateDevice(5);
    metal::DeviceLayoutProbe::check(metal::physical_device(device), 5);
    metal::CloseDevice(device);
}

void program_holds_only_internal(void**) {
    metal::Program program;
    metal::ProgramLayoutProbe::check(program);
}

}  // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(buffer_layout),
        cmocka_unit_test(mesh_buffer_layout),
        cmocka_unit_test(device_id_offset),
        cmocka_unit_test(program_holds_only_internal),
    };
    return cmocka_run_group_tests_name("sim_layout_" TTSIM_ERA_NAME, tests, nullptr, nullptr);
}
