// Core coordinates. tt-metal kept them at global scope until 2025-11-07 (e9debc31), then moved
// them into tt::tt_metal, which changes every mangled name taking a CoreRangeSet (E3 on).
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

#include "gen.hpp"

#if TTSIM_API >= 3
namespace tt::tt_metal {
#endif

struct CoreCoord {
    std::size_t x = 0;
    std::size_t y = 0;
};

class CoreRange {
public:
    CoreRange(CoreCoord start, CoreCoord end) : start_coord(start), end_coord(end) {}
    std::size_t size() const { return (end_coord.x - start_coord.x + 1) * (end_coord.y - start_coord.y + 1); }

    CoreCoord start_coord;
    CoreCoord end_coord;
};

class CoreRangeSet {
public:
    CoreRangeSet() = default;
    explicit CoreRangeSet(CoreRange range) : ranges_{range} {}
    explicit CoreRangeSet(std::vector<CoreRange> ranges) : ranges_(std::move(ranges)) {}

    const std::vector<CoreRange>& ranges() const { return ranges_; }
    std::size_t num_cores() const {
        std::size_t n = 0;
        for (const auto& r : ranges_) {
            n += r.size();
        }
        return n;
    }

private:
    std::vector<CoreRange> ranges_;
};

#if TTSIM_API >= 3
}  // namespace tt::tt_metal
#else
// One spelling (tt::tt_metal::CoreRangeSet) for the simulation's own code in every era; the
// classes themselves stay global, so mangled names are unchanged.
namespace tt::tt_metal {
using ::CoreCoord;
using ::CoreRange;
using ::CoreRangeSet;
}  // namespace tt::tt_metal
#endif
