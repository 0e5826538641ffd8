// Core coordinates. As in tt-metal's core_coord.hpp these live at global scope, which is why
// the real mangled names say "CoreRangeSet const&" without a namespace.
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

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
