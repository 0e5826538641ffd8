#include "config.hpp"

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <mutex>
#include <stdexcept>

#include "ledger.hpp"

namespace ttsim {
namespace {

constexpr struct {
    Leak leak;
    const char* name;
} kLeakNames[] = {
    {kLeakCbTracking, "cb_tracking"},
    {kLeakKernelBinary, "kernel_binary"},
    {kLeakCacheCallback, "cache_callback"},
};

struct Config {
    std::mutex mutex;
    std::atomic<unsigned> leaks{0};  // read on hot paths without the mutex
    std::string ledger_path;
    bool defer_mark = false;
    bool started = false;
    std::string env_error;  // a bad TTSIM_LEAKS, reported when the runtime starts
};

Config& config() {
    // Never destroyed: the runtime may still run during exit (atexit ledger finalization).
    static Config* const c = [] {
        auto* cfg = new Config;
        if (const char* env = std::getenv("TTSIM_LEAKS")) {
            unsigned leaks = 0;
            if (parse_leaks(env, leaks)) {
                cfg->leaks = leaks;
            } else {
                cfg->env_error = std::string("TTSIM_LEAKS: unknown leak switch in '") + env +
                                 "' (use cb_tracking,kernel_binary,cache_callback, all or none)";
            }
        }
        if (const char* env = std::getenv("TTSIM_LEDGER")) {
            cfg->ledger_path = env;
        }
        return cfg;
    }();
    return *c;
}

}  // namespace

bool parse_leaks(std::string_view list, unsigned& leaks) {
    if (list.empty() || list == "none") {
        leaks = 0;
        return true;
    }
    if (list == "all") {
        leaks = kLeakAll;
        return true;
    }
    unsigned result = 0;
    while (!list.empty()) {
        const auto comma = list.find(',');
        const std::string_view name = list.substr(0, comma);
        bool known = false;
        for (const auto& entry : kLeakNames) {
            if (name == entry.name) {
                result |= entry.leak;
                known = true;
            }
        }
        if (!known) {
            return false;
        }
        list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    }
    leaks = result;
    return true;
}

std::string format_leaks(unsigned leaks) {
    std::string out;
    for (const auto& entry : kLeakNames) {
        if (leaks & entry.leak) {
            out += out.empty() ? "" : ",";
            out += entry.name;
        }
    }
    return out.empty() ? "none" : out;
}

bool leak_enabled(Leak leak) { return (config().leaks.load(std::memory_order_relaxed) & leak) != 0; }

void start_runtime() {
    Config& cfg = config();
    std::lock_guard<std::mutex> lock(cfg.mutex);
    if (cfg.started) {
        return;
    }
    if (!cfg.env_error.empty()) {
        throw std::invalid_argument(cfg.env_error);
    }
    cfg.started = true;
    if (!cfg.ledger_path.empty()) {
        Ledger::instance().open(cfg.ledger_path, cfg.leaks.load(), cfg.defer_mark);
    }
}

int set_leaks(std::string_view list) {
    Config& cfg = config();
    std::lock_guard<std::mutex> lock(cfg.mutex);
    unsigned leaks = 0;
    if (!parse_leaks(list, leaks)) {
        return -EINVAL;
    }
    if (cfg.started) {
        return -EBUSY;
    }
    cfg.leaks = leaks;
    cfg.env_error.clear();  // an explicit setting replaces a bad environment value
    return 0;
}

int set_ledger(std::string_view path) {
    Config& cfg = config();
    std::lock_guard<std::mutex> lock(cfg.mutex);
    if (cfg.started) {
        return -EBUSY;
    }
    cfg.ledger_path = std::string(path);
    return 0;
}

int defer_mark() {
    Config& cfg = config();
    std::lock_guard<std::mutex> lock(cfg.mutex);
    if (cfg.started) {
        return -EBUSY;
    }
    cfg.defer_mark = true;
    return 0;
}

}  // namespace ttsim
