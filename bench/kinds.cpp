// kinds: one timed loop per kind of probed runtime function, for the per-event overhead of
// each probe kind. Each loop calls only what it times through the simulated libtt_metal.so,
// so the difference between the traced and the untraced pass, divided by the events the
// timed calls raise, is the cost of one event of that kind.
//
//   kinds [--scale X] [--blocks B] [--untraced-ms T] [--kinds buffer,cb,device]
//
// Regions (events per timed operation, with the tracer's probe plan for 2026):
//   buffer_alloc    Buffer::create                 1  GraphTracker::track_allocate
//   buffer_free     Buffer release                 1  AllocatorImpl::deallocate_buffer
//   cb_layout_1     allocate_circular_buffers      2  the layout + 1 track_allocate_cb
//   cb_layout_33    the same with 33 CBs          34  the layout + 33 track_allocate_cb
//   program_destroy a laid-out program released    2  ~ProgramImpl + track_deallocate_cb
//   device_close    CloseDevice                    2  Device::close + ~AllocatorImpl (from
//                                                     eb437d7d close destroys the allocator;
//                                                     neither clear nor deallocate_buffers runs)
// run_bench.py gets the per-CB cost from cb_layout_33 - cb_layout_1, so that the layout
// probe (a different instruction, see the probe placement section) does not blur it.
// Every pass is split in blocks; the harness takes the median block, which a preemption or
// a tracer wake-up in one block does not move. The untraced pass, being short, runs blocks
// for at least T ms (default 300), so that another process busy for a while on a shared
// machine cannot cover all of it.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "bench_common.h"
#include "buffer.hpp"
#include "device.hpp"
#include "program.hpp"

namespace metal = tt::tt_metal;

namespace {

enum { kUntraced = 0, kTraced = 1, kWarmUp = 2 };

struct Region {
    const char* name;
    unsigned events_per_op;
    unsigned long ops_per_block;  // timed operations per block
    std::vector<std::uint64_t> blocks[3];  // [0] untraced pass, [1] traced pass, [2] warm-up
};

struct Options {
    double scale = 1.0;
    unsigned blocks = 10;
    double untraced_ms = 300;
    bool buffer = true, cb = true, device = true;
};

Options parse(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        const char* v = i + 1 < argc ? argv[i + 1] : nullptr;
        if (a == "--scale" && v) {
            o.scale = std::atof(v), ++i;
        } else if (a == "--blocks" && v) {
            o.blocks = static_cast<unsigned>(std::atoi(v)), ++i;
        } else if (a == "--untraced-ms" && v) {
            o.untraced_ms = std::atof(v), ++i;
        } else if (a == "--kinds" && v) {
            const std::string k = v;
            o.buffer = k.find("buffer") != std::string::npos;
            o.cb = k.find("cb") != std::string::npos;
            o.device = k.find("device") != std::string::npos;
            ++i;
        } else {
            std::fprintf(stderr, "usage: kinds [--scale X] [--blocks B] [--untraced-ms T] "
                                 "[--kinds buffer,cb,device]\n");
            std::exit(2);
        }
    }
    if (o.scale <= 0 || o.blocks == 0) {
        std::fprintf(stderr, "kinds: --scale and --blocks must be positive\n");
        std::exit(2);
    }
    return o;
}

unsigned long scaled(unsigned long n, double scale) {
    const unsigned long v = static_cast<unsigned long>(n * scale);
    return v ? v : 1;
}

// Buffers are made and released 16 at a time, so that one clock read covers many calls.
constexpr int kBatch = 16;

void buffer_block(metal::IDevice* dev, Region& alloc, Region& free, int pass) {
    std::uint64_t t_alloc = 0, t_free = 0;
    std::shared_ptr<metal::Buffer> b[kBatch];
    for (unsigned long i = 0; i < alloc.ops_per_block / kBatch; ++i) {
        const std::uint64_t t0 = bench_now_ns();
        for (auto& x : b) {
            x = metal::Buffer::create(dev, 2048, 2048, metal::BufferType::DRAM);
        }
        const std::uint64_t t1 = bench_now_ns();
        for (auto& x : b) {
            x.reset();
        }
        const std::uint64_t t2 = bench_now_ns();
        t_alloc += t1 - t0;
        t_free += t2 - t1;
    }
    alloc.blocks[pass].push_back(t_alloc);
    free.blocks[pass].push_back(t_free);
}

std::shared_ptr<metal::Program> program_with_cbs(unsigned cbs) {
    static const metal::CoreRangeSet grid(metal::CoreRange({0, 0}, {7, 7}));
    auto p = std::make_shared<metal::Program>();
    for (unsigned i = 0; i < cbs; ++i) {
        metal::CreateCircularBuffer(*p, grid, {2048, static_cast<std::uint8_t>(i), 2048});
    }
    return p;
}

// Program setup is untimed; the layout and the release are timed apart.
void cb_block(metal::IDevice* dev, unsigned cbs, Region& layout, Region& destroy, int pass) {
    std::uint64_t t_layout = 0, t_destroy = 0;
    for (unsigned long i = 0; i < layout.ops_per_block; ++i) {
        auto p = program_with_cbs(cbs);
        const std::uint64_t t0 = bench_now_ns();
        p->impl().allocate_circular_buffers(dev);
        const std::uint64_t t1 = bench_now_ns();
        p.reset();
        const std::uint64_t t2 = bench_now_ns();
        t_layout += t1 - t0;
        t_destroy += t2 - t1;
    }
    layout.blocks[pass].push_back(t_layout);
    destroy.blocks[pass].push_back(t_destroy);
}

// Chip 1, so that the buffer and CB loops keep chip 0 open throughout.
void device_block(Region& close, int pass) {
    std::uint64_t t = 0;
    for (unsigned long i = 0; i < close.ops_per_block; ++i) {
        metal::IDevice* d = metal::CreateDevice(1);
        const std::uint64_t t0 = bench_now_ns();
        metal::CloseDevice(d);
        t += bench_now_ns() - t0;
    }
    close.blocks[pass].push_back(t);
}

struct Bench {
    Options opt;
    metal::IDevice* dev = nullptr;
    Region alloc{"buffer_alloc", 1, 0, {}}, free{"buffer_free", 1, 0, {}};
    Region layout1{"cb_layout_1", 2, 0, {}}, layout33{"cb_layout_33", 34, 0, {}};
    Region destroy{"program_destroy", 2, 0, {}}, close{"device_close", 2, 0, {}};
    Region destroy33{"program_destroy_33", 2, 0, {}};  // timed, not reported: more CBs to free

    explicit Bench(const Options& o) : opt(o) {
        alloc.ops_per_block = free.ops_per_block = scaled(4000, o.scale) / kBatch * kBatch;
        if (alloc.ops_per_block == 0) {
            alloc.ops_per_block = free.ops_per_block = kBatch;
        }
        layout1.ops_per_block = destroy.ops_per_block = scaled(400, o.scale);
        layout33.ops_per_block = destroy33.ops_per_block = scaled(100, o.scale);
        close.ops_per_block = scaled(150, o.scale);
        dev = metal::CreateDevice(0);
    }

    // Blocks of the kinds alternate, so that slow drift spreads over all of them. At least
    // `blocks` rounds of blocks, and more until min_ms have passed.
    void run(int pass, unsigned blocks, double min_ms = 0) {
        const std::uint64_t end = bench_now_ns() + static_cast<std::uint64_t>(min_ms * 1e6);
        for (unsigned b = 0; b < blocks || bench_now_ns() < end; ++b) {
            if (opt.buffer) {
                buffer_block(dev, alloc, free, pass);
            }
            if (opt.cb) {
                cb_block(dev, 1, layout1, destroy, pass);
                cb_block(dev, 33, layout33, destroy33, pass);
            }
            if (opt.device) {
                device_block(close, pass);
            }
        }
    }

    unsigned long traced_events() const {
        unsigned long n = 0;
        for (const Region* r : {&alloc, &free, &layout1, &layout33, &destroy, &destroy33, &close}) {
            n += r->blocks[1].size() * r->ops_per_block * r->events_per_op;
        }
        return n;
    }

    void print_region(const Region& r) const {
        std::printf("\"%s\":{\"events_per_op\":%u,\"ops_per_block\":%lu", r.name, r.events_per_op, r.ops_per_block);
        for (int pass = 0; pass < 2; ++pass) {
            std::printf(",\"%s\":[", pass ? "traced_block_ns" : "untraced_block_ns");
            for (std::size_t i = 0; i < r.blocks[pass].size(); ++i) {
                std::printf("%s%llu", i ? "," : "", static_cast<unsigned long long>(r.blocks[pass][i]));
            }
            std::printf("]");
        }
        std::printf("}");
    }

    void print() const {
        std::printf("{\"program\":\"kinds\",\"expected_events\":%lu,\"regions\":{", traced_events());
        const Region* regions[] = {&alloc, &free, &layout1, &layout33, &destroy, &close};
        bool first = true;
        for (const Region* r : regions) {
            if (r->blocks[1].empty()) {
                continue;
            }
            if (!first) {
                std::printf(",");
            }
            print_region(*r);
            first = false;
        }
        std::printf("}}\n");
        std::fflush(stdout);
    }
};

}  // namespace

int main(int argc, char** argv) {
    bench_block_release();
    Bench bench(parse(argc, argv));
    const unsigned blocks = bench.opt.blocks;
    bench.run(kWarmUp, 2);
    bench.run(kUntraced, blocks, bench.opt.untraced_ms);
    bench_wait_release();
    bench.run(kTraced, blocks);
    bench.print();
    // No teardown: exit now, so that no destructor raises events after the traced pass.
    std::_Exit(0);
}
