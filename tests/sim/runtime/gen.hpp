// Which tt-metal era this build reproduces (docs/tt-metal-runtime.md, "Eras"), chosen with
// -DTTSIM_ERA=e1|e2|e3|e4|e5|pimpl|e5x. The same sources build every era; each library
// exports exactly the mangled names and lays out exactly the objects of its era.
//
// Representative upstream commits (tenstorrent/tt-metal main), read for every behaviour here:
//   e1  95c8445888 (2025-05-15)  inline Buffer without a base; Program:: forwards to ProgramImpl::
//   e2  4fb33605e0 (2025-10-01)  enable_shared_from_this base; ProgramImpl:: only (3fbcb5fd)
//   e3  dc2d24123d (2026-02-01)  AllocatorImpl (0c95a278); Device::close resets it (eb437d7d);
//                                MeshDevice is a pimpl (dd2b14e643); tt::tt_metal::CoreRangeSet
//   e4  e76687f410 (2026-04-01)  Device::id_ at 24 and MeshDeviceImpl::context_id_ (d02dc4a3)
//   e5  a8c5af0f5a (2026-04-25)  ~ProgramImpl reports CBs, mesh CB fan-out (a2db301f)
//   pimpl  e5 with Buffer::impl_ -> BufferImpl: exists only in copies of unknown branch
//   e5x    e5 with one extra 8-byte Buffer member before allocator_: a hypothetical build whose
//          layout matches no known era, for a tracer that must derive layouts, not assume them
#pragma once

#define TTSIM_ERA_ID_e1 1
#define TTSIM_ERA_ID_e2 2
#define TTSIM_ERA_ID_e3 3
#define TTSIM_ERA_ID_e4 4
#define TTSIM_ERA_ID_e5 5
#define TTSIM_ERA_ID_pimpl 6
#define TTSIM_ERA_ID_e5x 7

#ifndef TTSIM_ERA
#define TTSIM_ERA e5
#endif

#define TTSIM_CAT2(a, b) a##b
#define TTSIM_CAT(a, b) TTSIM_CAT2(a, b)
#define TTSIM_STR2(x) #x
#define TTSIM_STR(x) TTSIM_STR2(x)

#define TTSIM_VARIANT TTSIM_CAT(TTSIM_ERA_ID_, TTSIM_ERA)
#if TTSIM_VARIANT < 1 || TTSIM_VARIANT > 7
#error "TTSIM_ERA must be e1, e2, e3, e4, e5, pimpl or e5x"
#endif
#define TTSIM_ERA_NAME TTSIM_STR(TTSIM_ERA)

// The era whose API a variant has: pimpl and e5x are E5 builds with another Buffer layout.
#if TTSIM_VARIANT >= 5
#define TTSIM_API 5
#else
#define TTSIM_API TTSIM_VARIANT
#endif
#define TTSIM_BUFFER_PIMPL (TTSIM_VARIANT == 6)
#define TTSIM_BUFFER_EXTRA (TTSIM_VARIANT == 7)

// StrongType lives in ttsl from E2 on (tt::stl before); it shows in BankManager's AllocatorID.
#if TTSIM_API >= 2
#define TTSIM_STL ttsl
#else
#define TTSIM_STL tt::stl
#endif

// Allocator -> AllocatorImpl on 2025-12-05 (0c95a278); Allocator became a view class.
#if TTSIM_API >= 3
#define TTSIM_ALLOCATOR AllocatorImpl
#else
#define TTSIM_ALLOCATOR Allocator
#endif

// Functions the tracer probes or decodes must stay real, exported, out-of-line functions, and
// calls made inside the library must reach them (not an inlined copy), or no uprobe fires.
#define TTSIM_PROBED __attribute__((noinline))
