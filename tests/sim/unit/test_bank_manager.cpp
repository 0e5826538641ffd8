// Address assignment: the free list and the DRAM/L1 bank managers (geometry in allocator.hpp).
#include <stdexcept>
#include <string>

#include "allocator.hpp"
#include "bank_manager.hpp"
#include "free_list.hpp"
#include "sim_test.hpp"

using tt::tt_metal::AllocatorConfig;
using tt::tt_metal::BankManager;
using tt::tt_metal::BufferType;
using tt::tt_metal::CoreRange;
using tt::tt_metal::CoreRangeSet;
using tt::tt_metal::DeviceAddr;
using tt::tt_metal::allocator::FreeList;

namespace {

constexpr DeviceAddr kGiB = 0x40000000;
const CoreRangeSet kGrid(CoreRange({0, 0}, {7, 7}));

BankManager dram() {
    const AllocatorConfig c;
    return BankManager(BufferType::DRAM, c.num_dram_banks, c.dram_bank_size, 0, c.dram_alignment);
}

// As the allocator builds it: the bottom of each bank is reserved.
BankManager dram_unreserved() {
    const AllocatorConfig c;
    return BankManager(BufferType::DRAM, c.num_dram_banks, c.dram_bank_size - c.dram_unreserved_base,
                       c.dram_unreserved_base, c.dram_alignment);
}

BankManager l1() {
    const AllocatorConfig c;
    return BankManager(BufferType::L1, c.num_l1_banks, c.l1_size - c.l1_unreserved_base, c.l1_unreserved_base,
                       c.l1_alignment);
}

// 24 KiB in 2 KiB pages over 12 banks: one page per bank, rounded up to the 4 KiB unit.
DeviceAddr alloc_4k_per_bank(BankManager& m, bool bottom_up) {
    return m.allocate_buffer(24576, 2048, bottom_up, kGrid, std::nullopt);
}

void dram_first_top_down_is_0x3FFFF000(void**) {
    BankManager m = dram_unreserved();  // the reservation leaves the top alone
    assert_int_equal(alloc_4k_per_bank(m, false), 0x3FFFF000);
    assert_int_equal(0x3FFFF000, 1073737728);
    assert_int_equal(alloc_4k_per_bank(m, false), 0x3FFFE000);
    assert_int_equal(alloc_4k_per_bank(m, false), 0x3FFFD000);
}

// The bottom of every bank is reserved (the HAL's dram_unreserved_base): no buffer at 0.
void dram_bottom_up_from_the_unreserved_base(void**) {
    BankManager m = dram_unreserved();
    assert_int_equal(alloc_4k_per_bank(m, true), 4096);
    assert_int_equal(alloc_4k_per_bank(m, true), 8192);
    // 64 KiB in 2 KiB pages: 32 pages, 3 per bank = 6144 B, rounded up to 8192.
    assert_int_equal(m.allocate_buffer(65536, 2048, true, kGrid, std::nullopt), 12288);
    assert_int_equal(alloc_4k_per_bank(m, true), 20480);
    // Top-down and bottom-up share one address space.
    assert_int_equal(alloc_4k_per_bank(m, false), kGiB - 4096);
}

void free_list_reuses_a_freed_range(void**) {
    BankManager m = dram();
    const DeviceAddr a = alloc_4k_per_bank(m, true);
    const DeviceAddr b = alloc_4k_per_bank(m, true);
    const DeviceAddr c = alloc_4k_per_bank(m, true);
    assert_int_equal(b, 4096);
    m.deallocate_buffer(b);
    assert_int_equal(m.free_list().num_free_blocks(), 2);  // the hole and the rest
    assert_int_equal(alloc_4k_per_bank(m, true), b);        // first fit: back into the hole
    assert_int_equal(m.free_list().num_free_blocks(), 1);
    (void)a;
    (void)c;

    // Top-down reuse: the highest fitting range again.
    const DeviceAddr t1 = alloc_4k_per_bank(m, false);
    const DeviceAddr t2 = alloc_4k_per_bank(m, false);
    m.deallocate_buffer(t1);
    assert_int_equal(alloc_4k_per_bank(m, false), t1);
    assert_int_equal(t2, kGiB - 8192);
}

void free_list_coalesces_on_free(void**) {
    BankManager m = dram();
    const DeviceAddr a = alloc_4k_per_bank(m, true);  // 0
    const DeviceAddr b = alloc_4k_per_bank(m, true);  // 4096
    const DeviceAddr c = alloc_4k_per_bank(m, true);  // 8192
    alloc_4k_per_bank(m, true);                       // 12288 keeps the rest apart
    m.deallocate_buffer(a);
    m.deallocate_buffer(c);
    assert_int_equal(m.free_list().num_free_blocks(), 3);
    m.deallocate_buffer(b);  // merges with both neighbours
    assert_int_equal(m.free_list().num_free_blocks(), 2);
    // 12 KiB per bank fits only in the merged range at 0.
    assert_int_equal(m.allocate_buffer(12 * 12288, 12288, true, kGrid, std::nullopt), 0);

    m.deallocate_all();
    assert_int_equal(m.num_allocated(), 0);
    assert_int_equal(m.free_list().num_free_blocks(), 1);
    assert_int_equal(m.free_list().largest_free_block(), kGiB);
}

void free_list_merges_into_the_tail(void**) {
    FreeList f(1 << 20, 0, 4096);
    const auto x = f.allocate(4096, false);
    const auto y = f.allocate(4096, false);
    assert_true(x && y);
    assert_int_equal(*x, (1 << 20) - 4096);
    assert_int_equal(*y, (1 << 20) - 8192);
    assert_true(f.deallocate(*y));
    assert_true(f.deallocate(*x));
    assert_int_equal(f.num_free_blocks(), 1);
    assert_int_equal(f.largest_free_block(), 1 << 20);
    assert_false(f.deallocate(*x));  // not allocated any more
}

void out_of_memory_throws_and_leaves_state(void**) {
    BankManager m = dram();
    alloc_4k_per_bank(m, true);
    // 1 GiB per bank cannot fit next to 4 KiB.
    const bool oom = simtest::throws<std::runtime_error>(
        [&] { m.allocate_buffer(12 * kGiB, kGiB, true, kGrid, std::nullopt); });
    assert_true(oom);
    try {
        m.allocate_buffer(12 * kGiB, kGiB, true, kGrid, std::nullopt);
    } catch (const std::runtime_error& e) {
        assert_true(std::string(e.what()).rfind("Out of Memory", 0) == 0);
    }
    assert_int_equal(m.num_allocated(), 1);
    // Exactly what is left still fits.
    assert_int_equal(m.allocate_buffer(12 * (kGiB - 4096), kGiB - 4096, false, kGrid, std::nullopt), 4096);
    assert_true(simtest::throws<std::runtime_error>([&] { alloc_4k_per_bank(m, true); }));
}

void unknown_address_is_ignored(void**) {
    BankManager m = dram();
    const DeviceAddr a = alloc_4k_per_bank(m, true);
    m.deallocate_buffer(a + 4096);
    assert_int_equal(m.num_allocated(), 1);
    m.deallocate_buffer(a);
    assert_int_equal(m.num_allocated(), 0);
}

void l1_geometry(void**) {
    BankManager m = l1();
    // 8 KiB in 2 KiB pages over 64 banks: one page per bank, from the top of 1464 KiB.
    assert_int_equal(m.allocate_buffer(8192, 2048, false, kGrid, std::nullopt), 1499136 - 2048);
    // Bottom-up starts at the L1 allocator base, where the CB region also starts.
    assert_int_equal(m.allocate_buffer(8192, 2048, true, kGrid, std::nullopt), 101152);
    // 1000-byte pages round up to the 16-byte L1 alignment.
    assert_int_equal(m.allocate_buffer(3000, 1000, false, kGrid, std::nullopt), 1499136 - 2048 - 1008);
    assert_int_equal(*m.lowest_occupied_address(), 101152);
}

void sharded_uses_num_shards_banks(void**) {
    BankManager m = l1();
    // 16 pages over 4 shards: 4 pages (8 KiB) per bank.
    assert_int_equal(m.allocate_buffer(32768, 2048, false, kGrid, 4u), 1499136 - 8192);
    assert_true(simtest::throws<std::invalid_argument>(
        [&] { m.allocate_buffer(32768, 2048, false, kGrid, 65u); }));  // more shards than cores
}

#if TTSIM_API >= 2
void only_the_default_allocator_id_exists(void**) {
    using Id = BankManager::AllocatorDependencies::AllocatorID;
    BankManager m = dram();
    assert_true(simtest::throws<std::out_of_range>(
        [&] { m.allocate_buffer(24576, 2048, true, kGrid, std::nullopt, Id{1}); }));
    assert_int_equal(m.allocate_buffer(24576, 2048, true, kGrid, std::nullopt, Id{0}), 0);
}
#endif

}  // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(dram_first_top_down_is_0x3FFFF000),
        cmocka_unit_test(dram_bottom_up_from_the_unreserved_base),
        cmocka_unit_test(free_list_reuses_a_freed_range),
        cmocka_unit_test(free_list_coalesces_on_free),
        cmocka_unit_test(free_list_merges_into_the_tail),
        cmocka_unit_test(out_of_memory_throws_and_leaves_state),
        cmocka_unit_test(unknown_address_is_ignored),
        cmocka_unit_test(l1_geometry),
        cmocka_unit_test(sharded_uses_num_shards_banks),
#if TTSIM_API >= 2
        cmocka_unit_test(only_the_default_allocator_id_exists),
#endif
    };
    return cmocka_run_group_tests_name("sim_bank_manager_" TTSIM_ERA_NAME, tests, nullptr, nullptr);
}
