// tt::tt_metal::distributed::MeshBuffer (mesh_buffer.cpp, every era): one owning backing
// Buffer created on the MeshDevice (its device_ is the MeshDevice*, its address comes from
// the mesh allocator), plus a non-owning view per chip at that same address, which raise no
// allocator or GraphTracker events.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "buffer.hpp"

namespace tt::tt_metal::distributed {

class MeshDevice;

class MeshBuffer {
    struct Private {};

public:
    // Replicated, interleaved: the shortened form of create(ReplicatedBufferConfig, ...).
    static std::shared_ptr<MeshBuffer> create(MeshDevice& mesh, DeviceAddr size, DeviceAddr page_size,
                                              BufferType type, std::optional<bool> bottom_up = std::nullopt);

    MeshBuffer(std::shared_ptr<Buffer> backing, std::vector<std::shared_ptr<Buffer>> views, Private);

    std::uint32_t address() const { return backing_->address(); }
    DeviceAddr size() const { return backing_->size(); }
    Buffer* get_backing_buffer() const { return backing_.get(); }
    Buffer* get_device_buffer(std::size_t chip_index) const { return views_.at(chip_index).get(); }
    void deallocate() { backing_->deallocate(); }

private:
    std::shared_ptr<Buffer> backing_;
    std::vector<std::shared_ptr<Buffer>> views_;
};

}  // namespace tt::tt_metal::distributed
