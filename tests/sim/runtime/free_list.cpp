#include "free_list.hpp"

#include <iterator>
#include <stdexcept>

namespace tt::tt_metal::allocator {
namespace {

DeviceAddr align_up(DeviceAddr v, DeviceAddr a) { return (v + a - 1) / a * a; }
DeviceAddr align_down(DeviceAddr v, DeviceAddr a) { return v / a * a; }

}  // namespace

FreeList::FreeList(DeviceAddr size, DeviceAddr offset, DeviceAddr alignment)
    : size_(size), offset_(offset), alignment_(alignment) {
    if (alignment == 0 || size == 0) {
        throw std::invalid_argument("FreeList: size and alignment must be non-zero");
    }
    clear();
}

void FreeList::clear() {
    allocated_.clear();
    free_blocks_.clear();
    free_blocks_.emplace(offset_, size_);
}

std::optional<DeviceAddr> FreeList::allocate(DeviceAddr size, bool bottom_up) {
    const DeviceAddr alloc_size = align_up(size == 0 ? 1 : size, alignment_);
    auto fits = [&](DeviceAddr start, DeviceAddr len) -> std::optional<DeviceAddr> {
        const DeviceAddr end = start + len;
        if (bottom_up) {
            const DeviceAddr addr = align_up(start, alignment_);
            return addr + alloc_size <= end ? std::optional<DeviceAddr>(addr) : std::nullopt;
        }
        if (len < alloc_size) {
            return std::nullopt;
        }
        const DeviceAddr addr = align_down(end - alloc_size, alignment_);
        return addr >= start ? std::optional<DeviceAddr>(addr) : std::nullopt;
    };

    // First fit, searching upward from the bottom or downward from the top.
    std::optional<DeviceAddr> found;
    auto block = free_blocks_.end();
    if (bottom_up) {
        for (auto it = free_blocks_.begin(); it != free_blocks_.end() && !found; ++it) {
            found = fits(it->first, it->second);
            block = it;
        }
    } else {
        for (auto it = free_blocks_.end(); it != free_blocks_.begin() && !found;) {
            --it;
            found = fits(it->first, it->second);
            block = it;
        }
    }
    if (!found) {
        return std::nullopt;
    }

    // Split the block: keep what lies before and after the allocation free.
    const DeviceAddr start = block->first;
    const DeviceAddr end = block->first + block->second;
    free_blocks_.erase(block);
    if (*found > start) {
        free_blocks_.emplace(start, *found - start);
    }
    if (*found + alloc_size < end) {
        free_blocks_.emplace(*found + alloc_size, end - (*found + alloc_size));
    }
    allocated_.emplace(*found, alloc_size);
    return found;
}

bool FreeList::deallocate(DeviceAddr address) {
    const auto it = allocated_.find(address);
    if (it == allocated_.end()) {
        return false;
    }
    const DeviceAddr size = it->second;
    allocated_.erase(it);
    insert_free(address, size);
    return true;
}

void FreeList::insert_free(DeviceAddr start, DeviceAddr size) {
    auto next = free_blocks_.lower_bound(start);
    if (next != free_blocks_.end() && start + size == next->first) {
        size += next->second;
        next = free_blocks_.erase(next);
    }
    if (next != free_blocks_.begin()) {
        const auto prev = std::prev(next);
        if (prev->first + prev->second == start) {
            prev->second += size;
            return;
        }
    }
    free_blocks_.emplace_hint(next, start, size);
}

std::optional<DeviceAddr> FreeList::lowest_occupied_address() const {
    if (allocated_.empty()) {
        return std::nullopt;
    }
    return allocated_.begin()->first;
}

DeviceAddr FreeList::largest_free_block() const {
    DeviceAddr largest = 0;
    for (const auto& [start, size] : free_blocks_) {
        largest = size > largest ? size : largest;
    }
    return largest;
}

}  // namespace tt::tt_metal::allocator
