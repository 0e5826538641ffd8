// The ledger's accounting, per scenario in a forked child (see sim_test.hpp): each leak
// category, the since_mark scope, pre_mark_free, tracking_live, and the file format itself.
// Checks inside a child throw (its exit status fails the test); cmocka asserts run in the parent.
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <stdexcept>
#include <string>

#include "no_dispatch.hpp"
#include "sim_test.hpp"

namespace {

namespace metal = tt::tt_metal;
using simtest::Ledger;
using simtest::run_cycle;
using simtest::run_scenario;
using simtest::ScenarioOptions;

const metal::CoreRangeSet kGrid(metal::CoreRange({0, 0}, {7, 7}));
// Before E5 no CB is ever reported deallocated: every destroyed program's CBs stay in a
// listener's view (seed 1), whatever the cb_tracking switch says.
constexpr bool kCbsNeverReported = TTSIM_API < 5;
constexpr long long kCbs = kCbsNeverReported ? 6 : 0;  // per chip and cycle of run_cycle(.., 2, ..)
// E1's ~SubDeviceManager deallocates each reclaimed buffer afterwards, with GraphTracker events.
constexpr bool kFreedAfterReset = TTSIM_API == 1;

std::vector<long long> grows(long long per_close, int closes = 3) {
    std::vector<long long> out;
    for (int i = 1; i <= closes; ++i) {
        out.push_back(per_close * i);
    }
    return out;
}

void require(bool ok, const char* what) {
    if (!ok) {
        throw std::runtime_error(std::string("check failed in scenario: ") + what);
    }
}

std::shared_ptr<metal::Program> seed_program() {
    auto program = std::make_shared<metal::Program>();
    metal::CreateCircularBuffer(*program, kGrid, metal::CircularBufferConfig(4096, 0, 2048));
    metal::CreateCircularBuffer(*program, kGrid, metal::CircularBufferConfig(4096, 1, 2048));
    metal::CreateCircularBuffer(*program, kGrid, metal::CircularBufferConfig(2048, 16, 2048));
    return program;
}

// Keeps a buffer alive until exit without a static destructor freeing it first.
void keep(std::shared_ptr<metal::Buffer> buffer) {
    static auto* kept = new std::vector<std::shared_ptr<metal::Buffer>>;
    kept->push_back(std::move(buffer));
}

void assert_no_leaks(const Ledger& l) {
    assert_int_equal(l.count("leak"), 0);
    assert_int_equal(l.count("reclaim"), 0);
    for (const auto& s : l.of("summary")) {
        assert_string_equal(s.s("category").c_str(), "pre_mark_free");
    }
}

std::map<std::string, std::string> leak(const char* scope, const char* category, int dev, const char* type,
                                        std::uint64_t addr, std::uint64_t size) {
    return {{"scope", scope},       {"category", category},         {"dev", "chip:" + std::to_string(dev)},
            {"type", type},         {"addr", std::to_string(addr)}, {"size", std::to_string(size)}};
}

void format_and_clean_run(void**) {
    const Ledger l = run_scenario([] {
        for (int i = 0; i < 3; ++i) {
            run_cycle(2, 2, 2);
        }
    });
    assert_true(l.complete_lines);
    assert_true(l.lines.size() > 3);
    const auto& header = l.lines[0];
    assert_string_equal(header.kind.c_str(), "ttsim-ledger");
    assert_true(header.text.rfind(std::string("ttsim-ledger v2 era=") + TTSIM_ERA_NAME + " pid=", 0) == 0);
    assert_string_equal(header.s("leaks").c_str(), "none");
    assert_string_equal(l.lines[1].kind.c_str(), "mark");  // no pause: right after the header
    assert_string_equal(l.lines.back().kind.c_str(), "end");

    if (kCbsNeverReported) {
        assert_int_equal(l.count("leak"), l.count("leak", {{"category", "cb_tracking"}}));
    } else {
        assert_no_leaks(l);
        assert_int_equal(l.count("summary"), 0);
    }
    assert_int_equal(l.count("device_open"), 6);
    for (int dev = 0; dev < 2; ++dev) {
        assert_true(l.tracking_live(dev) == grows(kCbs));
    }
    // Per device and cycle: 2 programs x (2 inputs + 1 kernel binary), all freed.
    assert_int_equal(l.count("alloc"), 36);
    assert_int_equal(l.count("free"), 36);
    assert_int_equal(l.count("alloc", {{"site", "user"}}), 24);
    assert_int_equal(l.count("alloc", {{"site", "kernel_binary"}, {"addr", "1073737728"}, {"size", "24576"}}), 6);
    assert_int_equal(l.count("alloc", {{"site", "kernel_binary"}, {"addr", "1073733632"}}), 6);
    assert_int_equal(l.count("cb_alloc"), 36);
    assert_int_equal(l.count("cb_alloc", {{"addr", "101152"}, {"size", "4096"}, {"global", "0"}}), 12);
    assert_int_equal(l.count("cb_alloc", {{"addr", "105248"}, {"size", "4096"}}), 12);
    assert_int_equal(l.count("cb_alloc", {{"addr", "109344"}, {"size", "2048"}}), 12);
    assert_int_equal(l.count("program_destroy"), 12);
    // From E5 on, one CB report per destroyed program, for its chip; none before.
    assert_int_equal(l.count("cb_dealloc_report"), kCbsNeverReported ? 0 : 12);
    assert_int_equal(l.count("cb_dealloc_report", {{"dev", "chip:0"}}), kCbsNeverReported ? 0 : 6);
    for (const auto& line : l.lines) {
        if (line.kind != "ttsim-ledger" && line.kind != "leak" && line.kind != "summary") {
            assert_true(line.f.count("ts") == 1);
        }
    }
}

void cb_tracking_grows_the_view(void**) {
    ScenarioOptions opts;
    opts.leaks = "cb_tracking";
    const Ledger l = run_scenario(
        [] {
            for (int i = 0; i < 3; ++i) {
                run_cycle(2, 2, 2);
            }
        },
        opts);
    // The switch changes nothing: E5 has no mechanism for the seed's imbalance, and before
    // E5 it is there without any switch.
    assert_string_equal(l.lines[0].s("leaks").c_str(), "cb_tracking");
    if (!kCbsNeverReported) {
        assert_int_equal(l.count("cb_dealloc_report"), 12);
        assert_int_equal(l.count("leak"), 0);
        return;
    }
    assert_int_equal(l.count("cb_dealloc_report"), 0);
    for (int dev = 0; dev < 2; ++dev) {
        assert_true(l.tracking_live(dev) == std::vector<long long>({6, 12, 18}));
        for (const char* scope : {"all", "since_mark"}) {
            assert_int_equal(l.leak_count(leak(scope, "cb_tracking", dev, "CB", 101152, 4096)), 6);
            assert_int_equal(l.leak_count(leak(scope, "cb_tracking", dev, "CB", 105248, 4096)), 6);
            assert_int_equal(l.leak_count(leak(scope, "cb_tracking", dev, "CB", 109344, 2048)), 6);
        }
        assert_int_equal(
            l.count("summary", {{"scope", "all"}, {"category", "cb_tracking"}, {"dev", "chip:" + std::to_string(dev)},
                                {"type", "CB"}, {"count", "18"}, {"bytes", "61440"}}),
            1);
    }
    assert_int_equal(l.count("leak"), 12);
    assert_int_equal(l.count("reclaim"), 0);
    assert_int_equal(l.count("alloc"), l.count("free"));
}

void kernel_binary_is_reclaimed_at_close(void**) {
    ScenarioOptions opts;
    opts.leaks = "kernel_binary";
    const Ledger l = run_scenario(
        [] {
            for (int i = 0; i < 3; ++i) {
                run_cycle(1, 2, 2);
            }
        },
        opts);
    assert_true(l.tracking_live(0) == grows(kCbs + (kFreedAfterReset ? 0 : 2)));
    assert_int_equal(l.count("reclaim"), 6);
    assert_int_equal(l.count("reclaim", {{"type", "DRAM"}, {"size", "24576"}, {"pre_mark", "0"}}), 6);
    assert_int_equal(l.count("free", {{"size", "24576"}, {"reclaimed", "1"}}), kFreedAfterReset ? 6 : 0);
    assert_int_equal(l.count("free", {{"size", "24576"}, {"reclaimed", "0"}}), 0);
    assert_int_equal(l.leak_count(leak("all", "reclaimed_at_close", 0, "DRAM", 1073737728, 24576)), 3);
    assert_int_equal(l.leak_count(leak("all", "reclaimed_at_close", 0, "DRAM", 1073733632, 24576)), 3);
    assert_int_equal(l.count("summary", {{"scope", "all"},
                                         {"category", "reclaimed_at_close"},
                                         {"dev", "chip:0"},
                                         {"type", "DRAM"},
                                         {"count", "6"},
                                         {"bytes", "147456"}}),
                     1);
    assert_int_equal(l.count("leak", {{"category", "cb_tracking"}}) != 0, kCbsNeverReported);
    assert_int_equal(l.count("leak", {{"category", "never_freed"}}), 0);
}

void cache_callback_buffer_is_reclaimed_at_close(void**) {
    ScenarioOptions opts;
    opts.leaks = "cache_callback";
    const Ledger l = run_scenario([] { run_cycle(1, 2, 0); }, opts);
    // One scratch buffer per cache miss, DRAM then L1, on a device without other buffers.
    assert_int_equal(l.count("alloc", {{"site", "cache_callback"}, {"type", "DRAM"}, {"addr", "4096"}, {"size", "32768"}}),
                     1);
    assert_int_equal(
        l.count("alloc", {{"site", "cache_callback"}, {"type", "L1"}, {"addr", "1498112"}, {"size", "4096"}}), 1);
    assert_int_equal(l.leak_count(leak("all", "reclaimed_at_close", 0, "DRAM", 4096, 32768)), 1);
    assert_int_equal(l.leak_count(leak("all", "reclaimed_at_close", 0, "L1", 1498112, 4096)), 1);
    assert_true(l.tracking_live(0) == std::vector<long long>({kCbs + (kFreedAfterReset ? 0 : 2)}));
    assert_int_equal(l.count("free", {{"size", "24576"}}), 2);  // kernel binaries freed normally
}

void all_leaks_grow_across_closes(void**) {
    ScenarioOptions opts;
    opts.leaks = "all";
    const Ledger l = run_scenario(
        [] {
            for (int i = 0; i < 3; ++i) {
                run_cycle(2, 2, 2);
            }
        },
        opts);
    assert_string_equal(l.lines[0].s("leaks").c_str(), "cb_tracking,kernel_binary,cache_callback");
    for (int dev = 0; dev < 2; ++dev) {
        // Per cycle: the CBs of the era, 2 kernel binaries, 2 callback buffers.
        const long long per = kCbs + (kFreedAfterReset ? 0 : 4);
        assert_true(l.tracking_live(dev) == grows(per));
        assert_true(l.tracking_live(dev, "tracking_live_since_mark") == grows(per));
    }
    assert_int_equal(l.count("summary", {{"scope", "all"}, {"category", "reclaimed_at_close"}, {"type", "DRAM"}}), 2);
    assert_int_equal(l.count("summary", {{"scope", "all"}, {"category", "reclaimed_at_close"}, {"type", "L1"}}), 2);
    assert_int_equal(l.count("summary", {{"scope", "all"}, {"category", "cb_tracking"}}), kCbsNeverReported ? 2 : 0);
    assert_int_equal(l.count("leak", {{"category", "never_freed"}}), 0);
}

void never_freed_without_close(void**) {
    const Ledger l = run_scenario([] {
        const auto devices = run_cycle(1, 1, 2, /*close=*/false);
        keep(metal::Buffer::create(devices[0], 65536, 2048, metal::BufferType::DRAM));
    });
    assert_int_equal(l.count("device_close"), 0);
    assert_int_equal(l.leak_count(leak("all", "never_freed", 0, "DRAM", 1073737728, 24576)), 1);  // cached program's
    assert_int_equal(l.leak_count(leak("all", "never_freed", 0, "DRAM", 4096, 65536)), 1);
    assert_int_equal(l.leak_count(leak("since_mark", "never_freed", 0, "DRAM", 4096, 65536)), 1);
    assert_int_equal(l.count("leak", {{"scope", "all"}}), 2);
    // The cached program is alive at exit: its CBs are its own, not a tracking leak.
    assert_int_equal(l.count("leak", {{"category", "cb_tracking"}}), 0);
    assert_int_equal(l.count("summary", {{"scope", "all"},
                                         {"category", "never_freed"},
                                         {"dev", "chip:0"},
                                         {"type", "DRAM"},
                                         {"count", "2"},
                                         {"bytes", "90112"}}),
                     1);
    assert_string_equal(l.lines.back().kind.c_str(), "end");
}

void since_mark_and_pre_mark_free(void**) {
    ScenarioOptions opts;
    opts.leaks = "cb_tracking,kernel_binary";
    opts.defer_mark = true;
    const Ledger l = run_scenario(
        [] {
            metal::IDevice* device = metal::CreateDevice(0);
            auto p1 = seed_program();
            metal::EnqueueProgram(device, p1, 1);  // kernel binary at 0x3FFFF000 and CBs: before the mark
            auto x = metal::Buffer::create(device, 65536, 2048, metal::BufferType::DRAM);
            ttsim_mark();
            x.reset();  // allocated before the mark, freed after it
            auto p2 = seed_program();
            metal::EnqueueProgram(device, p2, 2);  // kernel binary at 0x3FFFE000 and CBs: after the mark
            keep(metal::Buffer::create(device, 8192, 2048, metal::BufferType::L1));
            p1.reset();
            p2.reset();
            metal::CloseDevice(device);
        },
        opts);
    // The mark comes where the workload was released, not after the header.
    size_t mark_at = 0;
    for (size_t i = 0; i < l.lines.size(); ++i) {
        mark_at = l.lines[i].kind == "mark" ? i : mark_at;
    }
    assert_int_equal(l.count("mark"), 1);
    assert_true(mark_at > 3);
    assert_string_equal(l.lines[mark_at - 1].kind.c_str(), "alloc");

    assert_int_equal(l.count("free", {{"size", "65536"}, {"pre_mark", "1"}}), 1);
    assert_int_equal(l.count("reclaim", {{"addr", "1073737728"}, {"pre_mark", "1"}}), 1);
    assert_int_equal(l.count("reclaim", {{"addr", "1073733632"}, {"pre_mark", "0"}}), 1);
    // The era's CBs + 2 kernel binaries + the kept L1 buffer; since the mark: half the CBs + 1 + 1.
    const long long buffers = kFreedAfterReset ? 0 : 3;
    assert_true(l.tracking_live(0) == std::vector<long long>({kCbs + buffers}));
    assert_true(l.tracking_live(0, "tracking_live_since_mark") ==
                std::vector<long long>({kCbs / 2 + (kFreedAfterReset ? 0 : 2)}));

    assert_int_equal(l.leak_count(leak("all", "cb_tracking", 0, "CB", 101152, 4096)), kCbsNeverReported ? 2 : 0);
    assert_int_equal(l.leak_count(leak("since_mark", "cb_tracking", 0, "CB", 101152, 4096)), kCbsNeverReported);
    assert_int_equal(l.leak_count(leak("all", "reclaimed_at_close", 0, "DRAM", 1073737728, 24576)), 1);
    assert_int_equal(l.leak_count(leak("since_mark", "reclaimed_at_close", 0, "DRAM", 1073737728, 24576)), 0);
    assert_int_equal(l.leak_count(leak("since_mark", "reclaimed_at_close", 0, "DRAM", 1073733632, 24576)), 1);
    assert_int_equal(l.leak_count(leak("since_mark", "reclaimed_at_close", 0, "L1", 1497088, 8192)), 1);
    assert_int_equal(l.count("summary", {{"scope", "since_mark"},
                                         {"category", "pre_mark_free"},
                                         {"dev", "chip:0"},
                                         {"type", "DRAM"},
                                         {"count", "1"},
                                         {"bytes", "65536"}}),
                     1);
    assert_int_equal(l.count("summary", {{"category", "pre_mark_free"}}), 1);
    assert_int_equal(l.count("summary", {{"scope", "since_mark"}, {"category", "cb_tracking"}, {"count", "3"}}),
                     kCbsNeverReported);
}

// E5 reports a program's CBs for its own chip when it dies, even after the chip closed;
// before E5 nothing is ever reported, so destroyed programs' CBs are tracking leaks.
void cb_reports_per_era(void**) {
    const Ledger l = run_scenario([] {
        metal::IDevice* d0 = metal::CreateDevice(0);
        metal::IDevice* d1 = metal::CreateDevice(1);
        metal::EnqueueProgram(d0, seed_program(), 1);
        auto held = seed_program();  // outlives its device's close
        metal::EnqueueProgram(d1, held, 1);
        metal::CloseDevice(d0);
        metal::CloseDevice(d1);
        held.reset();
    });
    assert_true(l.tracking_live(0) == std::vector<long long>({kCbs / 2}));
    // Chip 1 at close: its 3 CBs (the program is alive) and its kernel binary (held, so
    // reclaimed; E1 deallocates it one by one after the reset).
    assert_true(l.tracking_live(1) == std::vector<long long>({3 + (kFreedAfterReset ? 0 : 1)}));
    // The held program died after its device closed, and reported then.
    size_t close1 = 0, last_destroy = 0;
    for (size_t i = 0; i < l.lines.size(); ++i) {
        close1 = l.lines[i].kind == "device_close" && l.lines[i].has("dev", "chip:1") ? i : close1;
        last_destroy = l.lines[i].kind == "program_destroy" ? i : last_destroy;
    }
    assert_true(last_destroy > close1);
    if (kCbsNeverReported) {
        assert_int_equal(l.count("cb_dealloc_report"), 0);
        assert_int_equal(l.count("leak", {{"category", "cb_tracking"}, {"scope", "all"}}), 6);
    } else {
        assert_string_equal(l.lines[last_destroy + 1].s("dev").c_str(), "chip:1");
        assert_int_equal(l.count("leak", {{"category", "cb_tracking"}}), 0);
    }
    assert_int_equal(l.leak_count(leak("all", "reclaimed_at_close", 1, "DRAM", 1073737728, 24576)), 1);
}

// The program a CB is attributed to is `this` of the probed
// ProgramImpl::allocate_circular_buffers and of ~ProgramImpl, in every era.
void cb_attribution_matches_the_probed_object(void**) {
    char path[] = "/tmp/ttsim-pointer-XXXXXX";
    const int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    const std::string pointer_file = path;
    const Ledger l = run_scenario([&] {
        metal::IDevice* device = metal::CreateDevice(0);
        auto program = seed_program();
        const void* owner = &program->impl();
        std::FILE* out = std::fopen(pointer_file.c_str(), "w");
        require(out != nullptr, "open pointer file");
        std::fprintf(out, "0x%" PRIxPTR, reinterpret_cast<std::uintptr_t>(owner));
        std::fclose(out);
        metal::EnqueueProgram(device, program, 1);
        program.reset();
        metal::CloseDevice(device);
    });
    const std::string owner = simtest::read_ledger(pointer_file).lines.at(0).kind;
    unlink(path);
    assert_int_equal(l.count("cb_alloc", {{"program", owner}}), 3);
    assert_int_equal(l.count("program_destroy", {{"program", owner}}), 1);
}

// A mesh buffer is one item of its mesh, named by the mesh id; hooked allocations are no
// device memory and never a leak.
void mesh_and_hooked_lines(void**) {
    const Ledger l = run_scenario([] {
        auto mesh = metal::distributed::MeshDevice::create({0, 1});
        {
            ttsim::NoDispatchScope no_dispatch;
            auto hooked = metal::distributed::MeshBuffer::create(*mesh, 65536, 2048, metal::BufferType::DRAM);
            require(hooked->address() == 0, "a hooked allocation has address 0");
        }
        auto kept = metal::distributed::MeshBuffer::create(*mesh, 8192, 2048, metal::BufferType::L1);
        mesh->close();
    });
    assert_int_equal(l.count("mesh", {{"chips", "0,1"}}), 1);
    const std::string mesh = "mesh:" + l.of("mesh").at(0).s("id");
    assert_int_equal(l.count("device_open", {{"dev", mesh}}), 1);
    assert_int_equal(l.count("hooked", {{"op", "alloc"}, {"dev", mesh}, {"addr", "0"}}), 1);
    assert_int_equal(l.count("hooked", {{"op", "free"}, {"dev", mesh}}), 1);
    assert_int_equal(l.count("alloc"), 1);
    assert_int_equal(l.count("leak", {{"scope", "all"}}), 1);
    assert_int_equal(l.count("leak", {{"scope", "all"}, {"category", "reclaimed_at_close"}, {"dev", mesh},
                                      {"type", "L1"}, {"addr", "1497088"}, {"size", "8192"}, {"count", "1"}}),
                     1);
    assert_true(l.tracking_live(mesh) == std::vector<long long>({kFreedAfterReset ? 0 : 1}));
}

void killed_process_leaves_a_valid_prefix(void**) {
    ScenarioOptions opts;
    opts.leaks = "all";
    opts.skip_exit_handlers = true;
    const Ledger l = run_scenario([] { run_cycle(1, 1, 1); }, opts);
    assert_true(l.complete_lines);
    assert_int_equal(l.count("device_close"), 1);
    assert_int_equal(l.count("end"), 0);
    assert_int_equal(l.count("leak"), 0);
}

void configuration_rules(void**) {
    ScenarioOptions opts;
    opts.leaks = nullptr;  // from the environment
    opts.env_leaks = "kernel_binary";
    const Ledger l = run_scenario(
        [] {
            require(ttsim_set_leaks("bogus") == -EINVAL, "unknown switch refused");
            metal::CloseDevice(metal::CreateDevice(0));
            require(ttsim_set_leaks("none") == -EBUSY, "fixed once started");
            require(ttsim_set_ledger("/nonexistent") == -EBUSY, "ledger fixed once started");
            require(ttsim_defer_mark() == -EBUSY, "mark fixed once started");
        },
        opts);
    assert_string_equal(l.lines[0].s("leaks").c_str(), "kernel_binary");

    opts.env_leaks = "bogus";
    const Ledger bad = run_scenario(
        [] {
            require(simtest::throws<std::invalid_argument>([] { metal::CreateDevice(0); }),
                    "a bad TTSIM_LEAKS stops the first device open");
        },
        opts);
    assert_int_equal(bad.lines.size(), 0);  // never started: no ledger written
}

}  // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(format_and_clean_run),
        cmocka_unit_test(cb_tracking_grows_the_view),
        cmocka_unit_test(kernel_binary_is_reclaimed_at_close),
        cmocka_unit_test(cache_callback_buffer_is_reclaimed_at_close),
        cmocka_unit_test(all_leaks_grow_across_closes),
        cmocka_unit_test(never_freed_without_close),
        cmocka_unit_test(since_mark_and_pre_mark_free),
        cmocka_unit_test(cb_reports_per_era),
        cmocka_unit_test(cb_attribution_matches_the_probed_object),
        cmocka_unit_test(mesh_and_hooked_lines),
        cmocka_unit_test(killed_process_leaves_a_valid_prefix),
        cmocka_unit_test(configuration_rules),
    };
    return cmocka_run_group_tests_name("sim_ledger_" TTSIM_ERA_NAME, tests, nullptr, nullptr);
}
