// libttnn_sim.so: the C API of ttnn_sim.h over the simulated runtime. No exception crosses it.
#include "ttnn_sim.h"

#include <cstdint>
#include <exception>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "buffer.hpp"
#include "device.hpp"
#include "mesh_buffer.hpp"
#include "mesh_device.hpp"
#include "program.hpp"
#include "ttsim_control.h"

using tt::tt_metal::Buffer;
using tt::tt_metal::BufferType;
using tt::tt_metal::distributed::MeshBuffer;
using tt::tt_metal::distributed::MeshDevice;

struct ttnn_sim_mesh {
    std::shared_ptr<MeshDevice> device;
};

struct ttnn_sim_tensor {
    std::shared_ptr<MeshDevice> mesh;  // keeps the device objects alive as long as the buffer
    std::shared_ptr<MeshBuffer> buffer;  // one MeshBuffer: one address on every chip
    unsigned long long bytes;
    int memory;
};

namespace {

constexpr unsigned long long kPageSize = 2048;
thread_local std::string last_error;

template <typename F>
auto guarded(F&& body, decltype(body()) on_error) -> decltype(body()) {
    try {
        last_error.clear();
        return body();
    } catch (const std::exception& e) {
        last_error = e.what();
    } catch (...) {
        last_error = "unknown error";
    }
    return on_error;
}

BufferType buffer_type(int memory) {
    if (memory != TTNN_SIM_DRAM && memory != TTNN_SIM_L1) {
        throw std::invalid_argument("memory must be TTNN_SIM_DRAM or TTNN_SIM_L1");
    }
    return memory == TTNN_SIM_DRAM ? BufferType::DRAM : BufferType::L1;
}

// The op's program on one device: three CBs (two inputs, one output) over the 8x8 worker grid.
std::shared_ptr<tt::tt_metal::Program> make_eltwise_program() {
    auto program = std::make_shared<tt::tt_metal::Program>();
    const tt::tt_metal::CoreRangeSet grid(tt::tt_metal::CoreRange({0, 0}, {7, 7}));
    CreateCircularBuffer(*program, grid, tt::tt_metal::CircularBufferConfig(4096, 0, 2048));
    CreateCircularBuffer(*program, grid, tt::tt_metal::CircularBufferConfig(4096, 1, 2048));
    CreateCircularBuffer(*program, grid, tt::tt_metal::CircularBufferConfig(2048, 16, 2048));
    return program;
}

// Output first, then the program from the cache (compiled on a miss), as ttnn does.
ttnn_sim_tensor* run_eltwise(std::uint64_t op_id, const ttnn_sim_tensor* a, const ttnn_sim_tensor* b) {
    if (a == nullptr || b == nullptr || a->mesh != b->mesh || a->bytes != b->bytes || a->memory != b->memory) {
        throw std::invalid_argument("eltwise op: tensors must be on the same mesh with the same size and memory");
    }
    auto out = std::make_unique<ttnn_sim_tensor>(ttnn_sim_tensor{a->mesh, nullptr, a->bytes, a->memory});
    // The program cache key hashes the op and its operands' attributes.
    const std::uint64_t key = (op_id << 56) ^ (static_cast<std::uint64_t>(a->memory) << 48) ^ a->bytes;
    out->buffer = MeshBuffer::create(*a->mesh, a->bytes, kPageSize, buffer_type(a->memory));
    auto program = a->mesh->find_cached_program(key);
    if (!program) {
        program = make_eltwise_program();
    }
    a->mesh->enqueue_workload(program, key);
    return out.release();
}

}  // namespace

extern "C" {

int ttnn_sim_configure(const char* leaks, const char* ledger_path, int defer_mark) {
    return guarded(
        [&] {
            if (leaks != nullptr && ttsim_set_leaks(leaks) != 0) {
                throw std::invalid_argument(std::string("bad leak list or runtime already started: ") + leaks);
            }
            if (ledger_path != nullptr && ttsim_set_ledger(ledger_path) != 0) {
                throw std::logic_error("the runtime has already started");
            }
            if (defer_mark != 0 && ttsim_defer_mark() != 0) {
                throw std::logic_error("the runtime has already started");
            }
            return 0;
        },
        -1);
}

void ttnn_sim_mark(void) { ttsim_mark(); }

const char* ttnn_sim_last_error(void) { return last_error.c_str(); }

ttnn_sim_mesh* ttnn_sim_open_device(int device_id) {
    return guarded(
        [&] {
            if (device_id < 0) {
                throw std::invalid_argument("device_id must not be negative");
            }
            return new ttnn_sim_mesh{MeshDevice::create_unit_mesh(device_id)};
        },
        static_cast<ttnn_sim_mesh*>(nullptr));
}

ttnn_sim_mesh* ttnn_sim_open_mesh_device(int num_devices) {
    return guarded(
        [&] {
            if (num_devices <= 0) {
                throw std::invalid_argument("num_devices must be positive");
            }
            std::vector<tt::tt_metal::ChipId> chips;
            for (int chip = 0; chip < num_devices; ++chip) {
                chips.push_back(chip);
            }
            return new ttnn_sim_mesh{MeshDevice::create(chips)};
        },
        static_cast<ttnn_sim_mesh*>(nullptr));
}

int ttnn_sim_mesh_num_devices(const ttnn_sim_mesh* mesh) {
    return mesh == nullptr ? -1 : static_cast<int>(mesh->device->num_devices());
}

int ttnn_sim_close_mesh_device(ttnn_sim_mesh* mesh) {
    return guarded(
        [&] {
            if (mesh == nullptr) {
                throw std::invalid_argument("no mesh");
            }
            std::unique_ptr<ttnn_sim_mesh> owned(mesh);
            return owned->device->close() ? 0 : -1;
        },
        -1);
}

ttnn_sim_tensor* ttnn_sim_from_host(ttnn_sim_mesh* mesh, unsigned long long bytes, int memory) {
    return guarded(
        [&] {
            if (mesh == nullptr) {
                throw std::invalid_argument("no mesh");
            }
            auto tensor = std::make_unique<ttnn_sim_tensor>(ttnn_sim_tensor{mesh->device, nullptr, bytes, memory});
            tensor->buffer = MeshBuffer::create(*mesh->device, bytes, kPageSize, buffer_type(memory));
            return tensor.release();
        },
        static_cast<ttnn_sim_tensor*>(nullptr));
}

ttnn_sim_tensor* ttnn_sim_add(const ttnn_sim_tensor* a, const ttnn_sim_tensor* b) {
    return guarded([&] { return run_eltwise(1, a, b); }, static_cast<ttnn_sim_tensor*>(nullptr));
}

ttnn_sim_tensor* ttnn_sim_multiply(const ttnn_sim_tensor* a, const ttnn_sim_tensor* b) {
    return guarded([&] { return run_eltwise(2, a, b); }, static_cast<ttnn_sim_tensor*>(nullptr));
}

int ttnn_sim_deallocate(ttnn_sim_tensor* tensor) {
    return guarded(
        [&] {
            if (tensor == nullptr) {
                throw std::invalid_argument("no tensor");
            }
            delete tensor;  // freed while its mesh is open; forgotten after its close
            return 0;
        },
        -1);
}

}  // extern "C"
