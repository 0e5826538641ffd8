#include "mesh_buffer.hpp"

#include "mesh_device.hpp"

namespace tt::tt_metal::distributed {

std::shared_ptr<MeshBuffer> MeshBuffer::create(MeshDevice& mesh, DeviceAddr size, DeviceAddr page_size,
                                               BufferType type, std::optional<bool> bottom_up) {
    auto backing = Buffer::create(&mesh, size, page_size, type, bottom_up);
    std::vector<std::shared_ptr<Buffer>> views;
    for (IDevice* chip : mesh.get_devices()) {
        views.push_back(Buffer::create(chip, backing->address(), size, page_size, type));
    }
    return std::make_shared<MeshBuffer>(std::move(backing), std::move(views), Private{});
}

MeshBuffer::MeshBuffer(std::shared_ptr<Buffer> backing, std::vector<std::shared_ptr<Buffer>> views, Private)
    : backing_(std::move(backing)), views_(std::move(views)) {}

}  // namespace tt::tt_metal::distributed
