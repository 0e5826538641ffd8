// ttsim_workload: drives the simulated runtime through device open/close cycles, the way a
// tt-metal job does, so the tracer has something real to attach to. Usage: --help.
#include <getopt.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <exception>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "buffer.hpp"
#include "device.hpp"
#include "mesh_buffer.hpp"
#include "mesh_device.hpp"
#include "no_dispatch.hpp"
#include "program.hpp"
#include "ttsim_control.h"

namespace metal = tt::tt_metal;

namespace {

volatile sig_atomic_t exiting = 0;
volatile sig_atomic_t released = 0;

enum class Topology { chip, unit_mesh, mesh };

struct Options {
    long devices = 2;
    Topology topology = Topology::chip;
    long no_dispatch = 0;
    bool global_cb = false;
    long programs = 2;
    long buffers = 2;
    long iterations = 3;
    double rate = 0;
    const char* leaks = nullptr;
    const char* ledger = nullptr;
    long pause_at = 0;
    bool skip_close = false;
};

const char kUsage[] =
    "Usage: ttsim_workload [OPTIONS]\n"
    "Run device open/close cycles on the simulated tt-metal runtime.\n"
    "\n"
    "  --devices N      chips 0..N-1 per iteration (default 2)\n"
    "  --topology T     chip: physical devices; unit-mesh: one unit MeshDevice per chip, as\n"
    "                   ttnn.open_device; mesh2: one MeshDevice over the chips (default chip)\n"
    "  --mesh           the same as --topology mesh2\n"
    "  --no-dispatch N  per device and iteration, N allocations under a NO_DISPATCH hook\n"
    "                   (address 0, no device memory; default 0)\n"
    "  --global-cb      each program also gets a globally allocated CB in its own L1 buffer\n"
    "  --programs P     programs per device per iteration (default 2)\n"
    "  --buffers B      input buffers per program, DRAM and L1 alternating (default 2)\n"
    "  --iterations I   iterations (default 3; 0 = until SIGTERM/SIGINT)\n"
    "  --rate R         iterations per second, may be fractional (default 0 = as fast as possible)\n"
    "  --leaks LIST     cb_tracking,kernel_binary,cache_callback | all | none (as TTSIM_LEAKS)\n"
    "  --ledger PATH    write the ledger to PATH (as TTSIM_LEDGER)\n"
    "  --pause-at K     in iteration K, once the devices are open and the first program's\n"
    "                   inputs are allocated, print 'paused pid=<pid>' and wait for SIGUSR1\n"
    "  --skip-close     leave the devices of the last iteration open at exit\n"
    "  --help           this text\n"
    "\n"
    "SIGTERM/SIGINT end the run after the current iteration; the exit status is then 0.\n";

[[noreturn]] void usage_error(const char* fmt, const char* arg) {
    std::fprintf(stderr, "ttsim_workload: ");
    std::fprintf(stderr, fmt, arg);
    std::fprintf(stderr, "\nTry 'ttsim_workload --help'.\n");
    std::exit(2);
}

long parse_long(const char* arg, const char* option, long min, long max) {
    char* end = nullptr;
    errno = 0;
    const long value = std::strtol(arg, &end, 10);
    if (errno != 0 || end == arg || *end != '\0' || value < min || value > max) {
        usage_error("invalid value for %s", option);
    }
    return value;
}

double parse_rate(const char* arg) {
    char* end = nullptr;
    errno = 0;
    const double value = std::strtod(arg, &end);
    if (errno != 0 || end == arg || *end != '\0' || !(value >= 0 && value <= 1e6)) {
        usage_error("invalid value for %s", "--rate");
    }
    return value;
}

Topology parse_topology(const char* arg) {
    const std::string name = arg;
    if (name == "chip") {
        return Topology::chip;
    }
    if (name == "unit-mesh") {
        return Topology::unit_mesh;
    }
    if (name == "mesh2") {
        return Topology::mesh;
    }
    usage_error("invalid --topology '%s' (chip, unit-mesh or mesh2)", arg);
}

Options parse_options(int argc, char** argv) {
    enum { kDevices = 1, kMesh, kTopology, kNoDispatch, kGlobalCb, kPrograms, kBuffers, kIterations, kRate, kLeaks, kLedger, kPauseAt, kSkipClose, kHelp };
    static const option long_options[] = {
        {"devices", required_argument, nullptr, kDevices},
        {"mesh", no_argument, nullptr, kMesh},
        {"topology", required_argument, nullptr, kTopology},
        {"no-dispatch", required_argument, nullptr, kNoDispatch},
        {"global-cb", no_argument, nullptr, kGlobalCb},
        {"programs", required_argument, nullptr, kPrograms},
        {"buffers", required_argument, nullptr, kBuffers},
        {"iterations", required_argument, nullptr, kIterations},
        {"rate", required_argument, nullptr, kRate},
        {"leaks", required_argument, nullptr, kLeaks},
        {"ledger", required_argument, nullptr, kLedger},
        {"pause-at", required_argument, nullptr, kPauseAt},
        {"skip-close", no_argument, nullptr, kSkipClose},
        {"help", no_argument, nullptr, kHelp},
        {nullptr, 0, nullptr, 0},
    };
    Options opts;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "", long_options, nullptr)) != -1) {
        switch (c) {
            case kDevices: opts.devices = parse_long(optarg, "--devices", 1, 64); break;
            case kMesh: opts.topology = Topology::mesh; break;
            case kTopology: opts.topology = parse_topology(optarg); break;
            case kNoDispatch: opts.no_dispatch = parse_long(optarg, "--no-dispatch", 0, 1000); break;
            case kGlobalCb: opts.global_cb = true; break;
            case kPrograms: opts.programs = parse_long(optarg, "--programs", 0, 1000); break;
            case kBuffers: opts.buffers = parse_long(optarg, "--buffers", 0, 1000); break;
            case kIterations: opts.iterations = parse_long(optarg, "--iterations", 0, LONG_MAX); break;
            case kRate: opts.rate = parse_rate(optarg); break;
            case kLeaks: opts.leaks = optarg; break;
            case kLedger: opts.ledger = optarg; break;
            case kPauseAt: opts.pause_at = parse_long(optarg, "--pause-at", 0, LONG_MAX); break;
            case kSkipClose: opts.skip_close = true; break;
            case kHelp: std::fputs(kUsage, stdout); std::exit(0);
            default: usage_error("unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc) {
        usage_error("unexpected argument '%s'", argv[optind]);
    }
    if (opts.iterations != 0 && opts.pause_at > opts.iterations) {
        usage_error("--pause-at %s is after the last iteration", std::to_string(opts.pause_at).c_str());
    }
    if (opts.pause_at != 0 && (opts.programs == 0)) {
        usage_error("%s", "--pause-at needs at least one program");
    }
    return opts;
}

void on_terminate(int) { exiting = 1; }  // SA_RESETHAND: a second signal kills
void on_release(int) { released = 1; }

void install_signal_handlers() {
    struct sigaction sa {};
    sa.sa_handler = on_terminate;
    sa.sa_flags = SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGINT, &sa, nullptr);
    sa.sa_handler = on_release;
    sa.sa_flags = 0;
    sigaction(SIGUSR1, &sa, nullptr);
    // SIGUSR1 stays blocked outside the pause, so one sent early waits for it instead of
    // being lost.
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    sigprocmask(SIG_BLOCK, &usr1, nullptr);
}

// Waits for SIGUSR1 (or the end of the run), then marks the ledger: what follows is what a
// tracer attached during the pause sees from its start.
void pause_for_tracer() {
    std::printf("paused pid=%ld\n", static_cast<long>(getpid()));
    std::fflush(stdout);
    sigset_t wait_mask;
    sigprocmask(SIG_SETMASK, nullptr, &wait_mask);
    sigdelset(&wait_mask, SIGUSR1);
    while (!released && !exiting) {
        sigsuspend(&wait_mask);
    }
    ttsim_mark();
}

metal::CircularBufferConfig cb_config(std::uint32_t size, std::uint8_t index) { return {size, index, 2048}; }

// What a program runs on: a physical chip, or a MeshDevice (whose buffers are MeshBuffers
// and whose programs are mesh workloads).
struct Target {
    metal::IDevice* device = nullptr;
    std::shared_ptr<metal::distributed::MeshDevice> mesh;

    std::shared_ptr<void> allocate(metal::DeviceAddr size, metal::BufferType type) const {
        if (mesh) {
            return metal::distributed::MeshBuffer::create(*mesh, size, 2048, type);
        }
        return metal::Buffer::create(device, size, 2048, type);
    }
    void enqueue(const std::shared_ptr<metal::Program>& program, std::uint64_t key) const {
        if (mesh) {
            mesh->enqueue_workload(program, key);
        } else {
            metal::EnqueueProgram(device, program, key);
        }
    }
    void close() const {
        if (mesh) {
            mesh->close();
        } else {
            metal::CloseDevice(device);
        }
    }
};

std::vector<Target> open_targets(const Options& opts) {
    std::vector<metal::ChipId> chips;
    for (long chip = 0; chip < opts.devices; ++chip) {
        chips.push_back(static_cast<metal::ChipId>(chip));
    }
    std::vector<Target> targets;
    if (opts.topology == Topology::mesh) {
        auto mesh = metal::distributed::MeshDevice::create(chips);
        targets.push_back({mesh.get(), mesh});
        return targets;
    }
    for (metal::ChipId chip : chips) {
        if (opts.topology == Topology::unit_mesh) {
            auto mesh = metal::distributed::MeshDevice::create_unit_mesh(chip);
            targets.push_back({mesh.get(), mesh});
        } else {
            targets.push_back({metal::CreateDevice(chip), nullptr});
        }
    }
    return targets;
}

// Allocations a NO_DISPATCH graph capture makes: hooked, no device memory.
void run_hooked_allocations(const Target& target, long count) {
    if (count == 0) {
        return;
    }
    ttsim::NoDispatchScope no_dispatch;
    std::vector<std::shared_ptr<void>> buffers;
    for (long i = 0; i < count; ++i) {
        buffers.push_back(target.allocate(65536, metal::BufferType::DRAM));
    }
}

std::shared_ptr<metal::Program> make_program(const Options& opts, const std::shared_ptr<void>& global_buffer) {
    const metal::CoreRangeSet grid(metal::CoreRange({0, 0}, {7, 7}));
    auto program = std::make_shared<metal::Program>();
    metal::CreateCircularBuffer(*program, grid, cb_config(4096, 0));
    metal::CreateCircularBuffer(*program, grid, cb_config(4096, 1));
    metal::CreateCircularBuffer(*program, grid, cb_config(2048, 16));
    if (opts.global_cb) {
        const metal::Buffer* l1 = opts.topology == Topology::chip
                                      ? static_cast<metal::Buffer*>(global_buffer.get())
                                      : static_cast<metal::distributed::MeshBuffer*>(global_buffer.get())
                                            ->get_backing_buffer();
        metal::CreateCircularBuffer(*program, grid, cb_config(2048, 24).set_globally_allocated_address(*l1));
    }
    return program;
}

// One program on one target: inputs, [pause], enqueue, free the inputs, drop the handle (the
// program cache keeps the program).
void run_program(const Options& opts, const Target& target, bool pause, std::uint64_t key) {
    std::shared_ptr<void> global_buffer;
    if (opts.global_cb) {
        global_buffer = target.allocate(4096, metal::BufferType::L1);
    }
    auto program = make_program(opts, global_buffer);
    std::vector<std::shared_ptr<void>> inputs;
    for (long b = 0; b < opts.buffers; ++b) {
        inputs.push_back(b % 2 == 0 ? target.allocate(65536, metal::BufferType::DRAM)
                                    : target.allocate(8192, metal::BufferType::L1));
    }
    if (pause) {
        pause_for_tracer();
    }
    target.enqueue(program, key);
}

// One device open/close cycle; with skip_close its devices are left open.
void run_iteration(const Options& opts, long iteration, bool skip_close, std::uint64_t& next_cache_key) {
    std::vector<Target> targets = open_targets(opts);
    for (const Target& target : targets) {
        run_hooked_allocations(target, opts.no_dispatch);
        for (long p = 0; p < opts.programs; ++p) {
            const bool pause = iteration == opts.pause_at && &target == &targets.front() && p == 0;
            run_program(opts, target, pause, next_cache_key++);
        }
    }
    if (skip_close) {
        // Left open at exit: chips stay in the device pool, meshes must outlive main too.
        static auto* kept = new std::vector<Target>;
        *kept = targets;
        return;
    }
    for (const Target& target : targets) {
        target.close();
    }
}

void wait_for_next(timespec& deadline, double rate) {
    const long period_ns = static_cast<long>(1e9 / rate);
    deadline.tv_nsec += period_ns % 1000000000L;
    deadline.tv_sec += period_ns / 1000000000L + deadline.tv_nsec / 1000000000L;
    deadline.tv_nsec %= 1000000000L;
    while (!exiting && clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, nullptr) == EINTR) {
    }
}

}  // namespace

int main(int argc, char** argv) {
    const Options opts = parse_options(argc, argv);
    if (opts.leaks != nullptr && ttsim_set_leaks(opts.leaks) != 0) {
        usage_error("invalid --leaks '%s' (cb_tracking,kernel_binary,cache_callback, all or none)", opts.leaks);
    }
    if (opts.ledger != nullptr) {
        ttsim_set_ledger(opts.ledger);
    }
    if (opts.pause_at != 0) {
        ttsim_defer_mark();
    }
    install_signal_handlers();

    try {
        std::uint64_t next_cache_key = 1;
        timespec deadline{};
        clock_gettime(CLOCK_MONOTONIC, &deadline);
        for (long i = 1; opts.iterations == 0 || i <= opts.iterations; ++i) {
            const bool last = i == opts.iterations;
            run_iteration(opts, i, last && opts.skip_close, next_cache_key);
            if (exiting) {
                break;
            }
            if (opts.rate > 0 && !last) {
                wait_for_next(deadline, opts.rate);
            }
            if (exiting) {
                break;
            }
        }
    } catch (const std::invalid_argument& e) {
        std::fprintf(stderr, "ttsim_workload: %s\n", e.what());
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "ttsim_workload: %s\n", e.what());
        return 1;
    }
    return 0;  // the ledger is finalized at exit
}
