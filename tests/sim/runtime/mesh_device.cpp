#include "mesh_device.hpp"

#include <atomic>
#include <stdexcept>

namespace tt::tt_metal::distributed {
namespace {

// Mesh ids are their own sequence in tt-metal, distinct from chip ids; start far from them.
std::atomic<ChipId> next_mesh_id{1000};

}  // namespace

std::shared_ptr<MeshDevice> MeshDevice::create(const std::vector<ChipId>& physical_device_ids) {
    if (physical_device_ids.empty()) {
        throw std::invalid_argument("MeshDevice::create: no devices");
    }
    std::vector<std::shared_ptr<Device>> devices;
    try {
        for (ChipId chip : physical_device_ids) {
            devices.push_back(OpenPhysicalDevice(chip));
        }
    } catch (...) {
        for (const auto& device : devices) {
            device->close();
        }
        throw;
    }
    return std::make_shared<MeshDevice>(std::move(devices), Private{});
}

MeshDevice::MeshDevice(std::vector<std::shared_ptr<Device>> devices, Private)
    : owned_(std::move(devices)), mesh_id_(next_mesh_id++) {
    for (const auto& device : owned_) {
        devices_.push_back(device.get());
    }
}

MeshDevice::~MeshDevice() {
    if (initialized_) {
        close();
    }
}

TTSIM_PROBED bool MeshDevice::close() {
    if (!initialized_) {
        return false;
    }
    bool ok = true;
    for (IDevice* device : devices_) {
        ok = device->close() && ok;
    }
    initialized_ = false;
    return ok;
}

}  // namespace tt::tt_metal::distributed
