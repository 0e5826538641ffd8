// op_loop: a ttnn-like op loop on the simulated runtime, for the whole-workload slowdown.
// Each op allocates one to three buffers (its output and scratch), enqueues its op's cached
// program (several CBs; laid out once, so in steady state the enqueue raises only the CB
// layout probe's event) and frees its inputs: the previous op's buffers.
//
//   op_loop [--ops N] [--blocks B] [--devices D] [--op-work-us X] [--untraced-ms T]
//
// The traced pass runs N ops in B blocks; the untraced pass runs blocks of the same size for
// at least T ms (default 300) and at least B of them, so that a while of another process's
// activity on a shared machine cannot cover all of it. Both are summarised by their median
// block.
//
// --op-work-us spins X microseconds per op after the enqueue, a stand-in for the host and
// device time of a real op, which the simulation does not have (0 by default: the runtime's
// bookkeeping alone, the worst case for relative overhead).
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
constexpr unsigned kOpTypes = 8;

struct Options {
    unsigned long ops = 20000;
    unsigned blocks = 40;
    int devices = 1;
    double op_work_us = 0;
    double untraced_ms = 300;
};

Options parse(int argc, char** argv) {
    Options o;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string a = argv[i];
        if (a == "--ops") {
            o.ops = std::strtoul(argv[i + 1], nullptr, 10);
        } else if (a == "--blocks") {
            o.blocks = static_cast<unsigned>(std::atoi(argv[i + 1]));
        } else if (a == "--devices") {
            o.devices = std::atoi(argv[i + 1]);
        } else if (a == "--op-work-us") {
            o.op_work_us = std::atof(argv[i + 1]);
        } else if (a == "--untraced-ms") {
            o.untraced_ms = std::atof(argv[i + 1]);
        } else {
            break;
        }
    }
    if (argc % 2 == 0 || o.ops == 0 || o.blocks == 0 || o.devices < 1 || o.devices > 8 || o.op_work_us < 0) {
        std::fprintf(stderr, "usage: op_loop [--ops N] [--blocks B] [--devices 1-8] [--op-work-us X] "
                             "[--untraced-ms T]\n");
        std::exit(2);
    }
    return o;
}

void spin_us(double us) {
    if (us <= 0) {
        return;
    }
    const std::uint64_t end = bench_now_ns() + static_cast<std::uint64_t>(us * 1000);
    while (bench_now_ns() < end) {
    }
}

struct Loop {
    Options opt;
    std::vector<metal::IDevice*> devices;
    std::vector<std::shared_ptr<metal::Program>> programs;  // [device * kOpTypes + op]
    std::vector<std::shared_ptr<metal::Buffer>> inputs;
    unsigned long op_no = 0;
    unsigned long events[3] = {0, 0, 0};  // per pass, by the probe plan: allocs, frees, layouts

    explicit Loop(const Options& o) : opt(o) {
        static const metal::CoreRangeSet grid(metal::CoreRange({0, 0}, {7, 7}));
        for (int d = 0; d < o.devices; ++d) {
            devices.push_back(metal::CreateDevice(d));
            for (unsigned op = 0; op < kOpTypes; ++op) {
                auto p = std::make_shared<metal::Program>();
                const unsigned cbs = 3 + op % 4;  // 3 to 6 CBs, like eltwise to matmul
                for (unsigned c = 0; c < cbs; ++c) {
                    metal::CreateCircularBuffer(*p, grid, {4096, static_cast<std::uint8_t>(c), 2048});
                }
                programs.push_back(p);
            }
        }
    }

    // One op: outputs, the cached program, then the inputs go.
    void op(int pass) {
        const unsigned op = op_no % kOpTypes;
        const int d = static_cast<int>((op_no / kOpTypes) % devices.size());
        metal::IDevice* dev = devices[d];
        const unsigned n_out = 1 + op_no % 3;
        std::vector<std::shared_ptr<metal::Buffer>> outputs;
        for (unsigned i = 0; i < n_out; ++i) {
            outputs.push_back(i % 2 == 0 ? metal::Buffer::create(dev, 262144, 2048, metal::BufferType::DRAM)
                                         : metal::Buffer::create(dev, 32768, 2048, metal::BufferType::L1));
        }
        metal::EnqueueProgram(dev, programs[d * kOpTypes + op], d * kOpTypes + op);
        spin_us(opt.op_work_us);
        events[pass] += n_out + inputs.size() + 1;
        inputs = std::move(outputs);  // the old inputs are released here
        ++op_no;
    }

    std::vector<std::uint64_t> pass(int which, unsigned blocks, unsigned long ops_per_block, double min_ms = 0) {
        std::vector<std::uint64_t> out;
        const std::uint64_t end = bench_now_ns() + static_cast<std::uint64_t>(min_ms * 1e6);
        for (unsigned b = 0; b < blocks || bench_now_ns() < end; ++b) {
            const std::uint64_t t0 = bench_now_ns();
            for (unsigned long i = 0; i < ops_per_block; ++i) {
                op(which);
            }
            out.push_back(bench_now_ns() - t0);
        }
        return out;
    }
};

void print_blocks(const char* name, const std::vector<std::uint64_t>& v) {
    std::printf(",\"%s\":[", name);
    for (std::size_t i = 0; i < v.size(); ++i) {
        std::printf("%s%llu", i ? "," : "", static_cast<unsigned long long>(v[i]));
    }
    std::printf("]");
}

}  // namespace

int main(int argc, char** argv) {
    bench_block_release();
    const Options opt = parse(argc, argv);
    Loop loop(opt);
    const unsigned long per_block = (opt.ops + opt.blocks - 1) / opt.blocks;
    // Warm-up: every program laid out and cached, kernel binaries allocated, caches warm.
    loop.pass(kWarmUp, 1, 4 * kOpTypes * opt.devices, 50);
    const auto untraced = loop.pass(kUntraced, opt.blocks, per_block, opt.untraced_ms);
    bench_wait_release();
    const auto traced = loop.pass(kTraced, opt.blocks, per_block);
    std::printf("{\"program\":\"op_loop\",\"ops_per_block\":%lu,\"op_work_us\":%g,\"devices\":%d", per_block,
                opt.op_work_us, opt.devices);
    std::printf(",\"expected_events\":%lu,\"events_per_op\":%.4f", loop.events[kTraced],
                static_cast<double>(loop.events[kTraced]) / (per_block * opt.blocks));
    print_blocks("untraced_block_ns", untraced);
    print_blocks("traced_block_ns", traced);
    std::printf("}\n");
    std::fflush(stdout);
    std::_Exit(0);  // no teardown events after the traced pass
}
