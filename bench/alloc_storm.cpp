// alloc_storm: threads allocating and freeing buffers as fast as they can (or at a set
// rate), for the event rate the tracer sustains without dropping events.
//
//   alloc_storm [--threads T] [--seconds S] [--rate EVENTS_PER_S]
//
// Each thread has its own device (the allocator, like tt-metal's per-device one, is used by
// one thread at a time here) and makes and releases 2 KiB DRAM buffers: two events per
// iteration. --rate (all threads together; 0 = as fast as possible) paces each thread in
// 1 ms steps. Before the pause, an untraced run of S/4 seconds gives the untraced rate.
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bench_common.h"
#include "buffer.hpp"
#include "device.hpp"

namespace metal = tt::tt_metal;

namespace {

struct Options {
    int threads = 2;
    double seconds = 2.0;
    double rate = 0;  // events per second, all threads; 0 = unpaced
};

Options parse(int argc, char** argv) {
    Options o;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string a = argv[i];
        if (a == "--threads") {
            o.threads = std::atoi(argv[i + 1]);
        } else if (a == "--seconds") {
            o.seconds = std::atof(argv[i + 1]);
        } else if (a == "--rate") {
            o.rate = std::atof(argv[i + 1]);
        } else {
            break;
        }
    }
    if (argc % 2 == 0 || o.threads < 1 || o.threads > 8 || o.seconds <= 0 || o.rate < 0) {
        std::fprintf(stderr, "usage: alloc_storm [--threads 1-8] [--seconds S] [--rate EVENTS_PER_S]\n");
        std::exit(2);
    }
    return o;
}

constexpr unsigned kEventsPerIteration = 2;  // track_allocate + deallocate_buffer

// Runs until `end_ns`; returns the iterations done.
unsigned long storm(metal::IDevice* dev, std::uint64_t end_ns, double iterations_per_s) {
    unsigned long n = 0;
    const std::uint64_t start = bench_now_ns();
    for (std::uint64_t now = start; now < end_ns; now = bench_now_ns()) {
        unsigned long due = ~0ul;
        if (iterations_per_s > 0) {
            due = static_cast<unsigned long>((now - start) * 1e-9 * iterations_per_s);
            if (n >= due) {
                const timespec step{0, 1000000};  // 1 ms
                nanosleep(&step, nullptr);
                continue;
            }
        }
        // A batch between clock reads; paced runs stop at what is due.
        for (int i = 0; i < 64 && n < due; ++i, ++n) {
            auto b = metal::Buffer::create(dev, 2048, 2048, metal::BufferType::DRAM);
        }
    }
    return n;
}

struct Result {
    unsigned long events;
    double seconds;
};

Result run(const std::vector<metal::IDevice*>& devices, double seconds, double rate) {
    std::vector<std::thread> threads;
    std::atomic<unsigned long> iterations{0};
    const double per_thread = rate / kEventsPerIteration / devices.size();
    const std::uint64_t start = bench_now_ns();
    const std::uint64_t end = start + static_cast<std::uint64_t>(seconds * 1e9);
    for (metal::IDevice* dev : devices) {
        threads.emplace_back([&, dev] { iterations += storm(dev, end, per_thread); });
    }
    for (auto& t : threads) {
        t.join();
    }
    return {iterations * kEventsPerIteration, (bench_now_ns() - start) * 1e-9};
}

}  // namespace

int main(int argc, char** argv) {
    bench_block_release();  // before the threads exist, so that they inherit the mask
    const Options opt = parse(argc, argv);
    std::vector<metal::IDevice*> devices;
    for (int t = 0; t < opt.threads; ++t) {
        devices.push_back(metal::CreateDevice(t));
    }
    const Result untraced = run(devices, opt.seconds / 4, 0);
    bench_wait_release();
    const Result traced = run(devices, opt.seconds, opt.rate);
    std::printf("{\"program\":\"alloc_storm\",\"threads\":%d,\"target_rate\":%.0f,\"expected_events\":%lu,"
                "\"seconds\":%.6f,\"rate\":%.0f,\"untraced_rate\":%.0f}\n",
                opt.threads, opt.rate, traced.events, traced.seconds, traced.events / traced.seconds,
                untraced.events / untraced.seconds);
    std::fflush(stdout);
    std::_Exit(0);
}
