// Which tt-metal API generation this build reproduces (TTMETAL_API.md, "API generations").
// The same sources build both; the differences are confined to #if TTSIM_GEN blocks so that
// each library exports exactly the mangled names of its generation.
#pragma once

#ifndef TTSIM_GEN
#define TTSIM_GEN 2026
#endif

#if TTSIM_GEN != 2026 && TTSIM_GEN != 2025
#error "TTSIM_GEN must be 2026 (2026 main) or 2025 (mid 2025)"
#endif

#define TTSIM_STR2(x) #x
#define TTSIM_STR(x) TTSIM_STR2(x)
#define TTSIM_GEN_NAME "gen" TTSIM_STR(TTSIM_GEN)

// The real namespace of StrongType is part of every mangled name that takes an AllocatorID.
#if TTSIM_GEN == 2026
#define TTSIM_STL ttsl
#else
#define TTSIM_STL tt::stl
#endif

// The allocator class was renamed Allocator -> AllocatorImpl; one body serves both names.
#if TTSIM_GEN == 2026
#define TTSIM_ALLOCATOR AllocatorImpl
#else
#define TTSIM_ALLOCATOR Allocator
#endif

// Functions the tracer probes must stay real, exported, out-of-line functions, and calls made
// inside the library must reach them (not an inlined copy), or the uprobe never fires.
#define TTSIM_PROBED __attribute__((noinline))
