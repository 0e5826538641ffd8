// tt-metal's StrongType: a typed wrapper whose namespace (ttsl / tt::stl) shows in mangled names.
#pragma once

#include "gen.hpp"

#if TTSIM_API >= 2
namespace ttsl {
#else
namespace tt::stl {
#endif

template <typename T, typename Tag>
class StrongType {
public:
    constexpr explicit StrongType(T value) noexcept : value_(value) {}
    constexpr T get() const noexcept { return value_; }
    constexpr T operator*() const noexcept { return value_; }
    friend constexpr bool operator==(StrongType a, StrongType b) noexcept { return a.value_ == b.value_; }
    friend constexpr bool operator!=(StrongType a, StrongType b) noexcept { return a.value_ != b.value_; }

private:
    T value_;
};

}  // namespace ttsl / tt::stl
