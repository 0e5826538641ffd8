// Runtime configuration of the simulation: leak switches, ledger path, mark deferral.
// Read from TTSIM_LEAKS / TTSIM_LEDGER on first use; the control API (ttsim_control.h) may
// override them until the runtime starts (the first device open), after which they are fixed,
// so the ledger header always states the switches the whole run used.
#pragma once

#include <string>
#include <string_view>

namespace ttsim {

// Each switch brings back one known leak of the real runtime (README.md, "Leak switches").
enum Leak : unsigned {
    kLeakCbTracking = 1u << 0,     // seed 1; e1-e4 always show it, e5 has no mechanism (README)
    kLeakKernelBinary = 1u << 1,   // a kernel-binary buffer outlives its program until close
    kLeakCacheCallback = 1u << 2,  // a program-cache callback holds a buffer until close
    kLeakAll = kLeakCbTracking | kLeakKernelBinary | kLeakCacheCallback,
};

// "none", "all", "" (= none) or a comma-separated list of switch names.
// Returns false, leaving `leaks` untouched, on an unknown name.
bool parse_leaks(std::string_view list, unsigned& leaks);
std::string format_leaks(unsigned leaks);  // "none" or names joined by ','

bool leak_enabled(Leak leak);

// Fixes the configuration and opens the ledger if one is configured. Called by every device
// open. Throws std::invalid_argument when TTSIM_LEAKS held an unknown switch.
void start_runtime();

// Setters behind the control API; 0, -EINVAL (bad value) or -EBUSY (runtime started).
int set_leaks(std::string_view list);
int set_ledger(std::string_view path);
int defer_mark();

}  // namespace ttsim
