// Object layouts the tracer reads (TTMETAL_API.md, "Buffer layout"): each field is checked
// twice, by its offset as a member and by reading raw bytes at that offset from a live object,
// which is what the BPF side does.
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

struct BufferLayoutProbe {
    static void check(const Buffer& b) {
#if TTSIM_GEN == 2026
        assert_int_equal(offset(&b, &b.impl_), 16);
        const BufferImpl& i = *b.impl_;
        assert_ptr_equal(read_at<const void*>(&b, 16), &i);
        assert_int_equal(offset(&i, &i.device_), 0);
        assert_int_equal(offset(&i, &i.size_), 8);
        assert_int_equal(offset(&i, &i.buffer_type_), 16);
        assert_int_equal(offset(&i, &i.allocator_), 48);
        assert_int_equal(offset(&i, &i.address_), 64);
        assert_int_equal(offset(&i, &i.page_size_), 72);
        const void* fields = &i;
        const std::ptrdiff_t base = 0;
#else
        assert_int_equal(offset(&b, &b.device_), 16);
        assert_int_equal(offset(&b, &b.size_), 24);
        assert_int_equal(offset(&b, &b.buffer_type_), 32);
        assert_int_equal(offset(&b, &b.buffer_layout_), 36);
        assert_int_equal(offset(&b, &b.bottom_up_), 40);
        assert_int_equal(offset(&b, &b.owns_data_), 43);
        assert_int_equal(offset(&b, &b.allocator_), 64);
        assert_int_equal(offset(&b, &b.allocation_status_), 72);
        assert_int_equal(offset(&b, &b.address_), 80);
        assert_int_equal(offset(&b, &b.page_size_), 88);
        assert_int_equal(read_at<int>(&b, 36), 0);         // INTERLEAVED
        assert_int_equal(read_at<bool>(&b, 40), b.bottom_up());
        assert_int_equal(read_at<bool>(&b, 43), true);     // owns its data
        assert_int_equal(read_at<std::uint8_t>(&b, 72), 2);  // ALLOCATED
        const void* fields = &b;
        const std::ptrdiff_t base = 16;
#endif
        // Raw reads at the tracer's offsets give the accessors' values.
        assert_ptr_equal(read_at<const void*>(fields, base + 0), b.device());
        assert_int_equal(read_at<std::uint64_t>(fields, base + 8), b.size());
        assert_int_equal(read_at<int>(fields, base + 16), static_cast<int>(b.buffer_type()));
        assert_ptr_equal(read_at<const void*>(fields, base + 48), b.allocator());
        assert_int_equal(read_at<std::uint64_t>(fields, base + 64), b.address());
        assert_int_equal(read_at<std::uint64_t>(fields, base + 72), b.page_size());
    }
};

struct DeviceLayoutProbe {
    static void check(const Device& d, ChipId chip) {
        const std::ptrdiff_t expected = TTSIM_GEN == 2026 ? 24 : 16;
        assert_int_equal(offset(&d, &d.id_), expected);
        assert_int_equal(read_at<int>(&d, expected), chip);
        // IDevice is the primary base: an IDevice* is the Device*, with the vtable at 0.
        assert_ptr_equal(static_cast<const IDevice*>(&d), &d);
    }
};

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
    assert_int_equal(dram->address(), 0);
    l1.reset();
    dram.reset();
    metal::CloseDevice(device);
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
        cmocka_unit_test(device_id_offset),
        cmocka_unit_test(program_holds_only_internal),
    };
    return cmocka_run_group_tests_name("sim_layout_" TTSIM_GEN_NAME, tests, nullptr, nullptr);
}
