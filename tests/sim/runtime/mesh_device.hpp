// tt::tt_metal::distributed::MeshDevice: several physical devices opened and closed together.
// Buffers and programs go on its physical devices (get_devices()), which is where the
// seeds' per-device leaks show.
#pragma once

#include <memory>
#include <vector>

#include "device.hpp"

namespace tt::tt_metal::distributed {

class MeshDevice final : public IDevice {
    struct Private {};

public:
    // Opens the given chips. Closing happens in close() or, at the latest, in the destructor.
    static std::shared_ptr<MeshDevice> create(const std::vector<ChipId>& physical_device_ids);

    MeshDevice(std::vector<std::shared_ptr<Device>> devices, Private);
    ~MeshDevice() override;
    MeshDevice(const MeshDevice&) = delete;
    MeshDevice& operator=(const MeshDevice&) = delete;

    ChipId id() const override { return mesh_id_; }
    bool is_initialized() const override { return initialized_; }
    DeviceAllocator* allocator() const override { return nullptr; }
    bool close() override;  // closes each physical device

    const std::vector<IDevice*>& get_devices() const { return devices_; }
    std::size_t num_devices() const { return devices_.size(); }

private:
    std::vector<std::shared_ptr<Device>> owned_;  // keeps the device objects valid while the mesh lives
    std::vector<IDevice*> devices_;
    ChipId mesh_id_;
    bool initialized_ = true;
};

}  // namespace tt::tt_metal::distributed
