// The extern "C" control API (ttsim_control.h) over the runtime configuration and ledger.
#include "ttsim_control.h"

#include "config.hpp"
#include "ledger.hpp"

extern "C" {

int ttsim_set_leaks(const char* list) { return ttsim::set_leaks(list == nullptr ? "" : list); }

int ttsim_set_ledger(const char* path) { return ttsim::set_ledger(path == nullptr ? "" : path); }

int ttsim_defer_mark(void) { return ttsim::defer_mark(); }

void ttsim_mark(void) { ttsim::Ledger::instance().mark(); }

void ttsim_ledger_finish(void) { ttsim::Ledger::instance().finish(); }

}
