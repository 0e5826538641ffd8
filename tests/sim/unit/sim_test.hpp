// Helpers shared by the simulation's cmocka tests: ledger parsing, running a scenario in a
// forked child (the runtime's configuration is fixed per process once a device opens, and
// the ledger is finalized at exit, so each scenario gets a fresh process), and the
// workload's device open/close cycle.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "buffer.hpp"
#include "device.hpp"
#include "mesh_buffer.hpp"
#include "mesh_device.hpp"
#include "program.hpp"
#include "ttsim_control.h"

// cmocka last: it defines macros (fail(), ...) that clash with the C++ library.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

extern "C" {  // cmocka.h declares its functions without C linkage for C++
#include <cmocka.h>
}

namespace simtest {

namespace metal = tt::tt_metal;

// One ledger line: its kind (first word) and its key=value fields.
struct Line {
    std::string kind;
    std::map<std::string, std::string> f;
    std::string text;

    std::string s(const std::string& key) const {
        const auto it = f.find(key);
        return it == f.end() ? std::string("<missing " + key + ">") : it->second;
    }
    long long n(const std::string& key) const { return std::stoll(s(key), nullptr, 0); }
    bool has(const std::string& key, const std::string& value) const {
        const auto it = f.find(key);
        return it != f.end() && it->second == value;
    }
};

struct Ledger {
    std::vector<Line> lines;
    bool complete_lines = true;  // every line ended with '\n'

    std::vector<Line> of(const std::string& kind, const std::map<std::string, std::string>& where = {}) const {
        std::vector<Line> out;
        for (const Line& line : lines) {
            bool match = line.kind == kind;
            for (const auto& [k, v] : where) {
                match = match && line.has(k, v);
            }
            if (match) {
                out.push_back(line);
            }
        }
        return out;
    }
    size_t count(const std::string& kind, const std::map<std::string, std::string>& where = {}) const {
        return of(kind, where).size();
    }
    // The `count` field of the single leak line matching `where`, or 0 if there is none.
    long long leak_count(const std::map<std::string, std::string>& where) const {
        const auto found = of("leak", where);
        assert_true(found.size() <= 1);
        return found.empty() ? 0 : found[0].n("count");
    }
    std::vector<long long> tracking_live(int chip, const char* field = "tracking_live") const {
        return tracking_live("chip:" + std::to_string(chip), field);
    }
    std::vector<long long> tracking_live(const std::string& dev, const char* field = "tracking_live") const {
        std::vector<long long> out;
        for (const Line& line : of("device_close", {{"dev", dev}})) {
            out.push_back(line.n(field));
        }
        return out;
    }
};

inline Ledger read_ledger(const std::string& path) {
    std::ifstream in(path);
    std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    Ledger ledger;
    ledger.complete_lines = content.empty() || content.back() == '\n';
    std::istringstream lines(content);
    std::string text;
    while (std::getline(lines, text)) {
        Line line;
        line.text = text;
        std::istringstream words(text);
        std::string word;
        words >> line.kind;
        while (words >> word) {
            const auto eq = word.find('=');
            if (eq != std::string::npos) {
                line.f[word.substr(0, eq)] = word.substr(eq + 1);
            }
        }
        ledger.lines.push_back(line);
    }
    return ledger;
}

struct ScenarioOptions {
    const char* leaks = "none";        // nullptr: not set through the API
    const char* env_leaks = nullptr;   // TTSIM_LEAKS for the child
    bool defer_mark = false;
    bool skip_exit_handlers = false;  // _exit: as if killed, no ledger finalization
};

// Runs `body` in a forked child whose runtime writes a ledger; returns the parsed ledger.
// The child exits 0 unless body throws.
inline Ledger run_scenario(const std::function<void()>& body, const ScenarioOptions& opts = {}) {
    char path[] = "/tmp/ttsim-ledger-XXXXXX";
    const int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    std::fflush(nullptr);
    const pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int status = 0;
        try {
            if (opts.env_leaks != nullptr) {
                setenv("TTSIM_LEAKS", opts.env_leaks, 1);
            }
            if ((opts.leaks != nullptr && ttsim_set_leaks(opts.leaks) != 0) || ttsim_set_ledger(path) != 0 ||
                (opts.defer_mark && ttsim_defer_mark() != 0)) {
                std::fprintf(stderr, "scenario: cannot configure the runtime\n");
                _exit(3);
            }
            body();
        } catch (const std::exception& e) {
            std::fprintf(stderr, "scenario threw: %s\n", e.what());
            status = 4;
        }
        if (opts.skip_exit_handlers) {
            _exit(status);
        }
        std::exit(status);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    Ledger ledger = read_ledger(path);
    unlink(path);
    return ledger;
}

// What ttsim_workload does per iteration: open the chips, per device `programs` programs with
// the seeds' three CBs, `buffers` inputs each (DRAM 64 KiB and L1 8 KiB alternating), enqueue,
// free the inputs, drop the handle; then close (unless close is false).
inline std::vector<metal::IDevice*> run_cycle(int devices, int programs, int buffers, bool close = true) {
    static std::uint64_t next_key = 1;
    std::vector<metal::IDevice*> opened;
    for (int chip = 0; chip < devices; ++chip) {
        opened.push_back(metal::CreateDevice(chip));
    }
    const metal::CoreRangeSet grid(metal::CoreRange({0, 0}, {7, 7}));
    for (metal::IDevice* device : opened) {
        for (int p = 0; p < programs; ++p) {
            auto program = std::make_shared<metal::Program>();
            metal::CreateCircularBuffer(*program, grid, metal::CircularBufferConfig(4096, 0, 2048));
            metal::CreateCircularBuffer(*program, grid, metal::CircularBufferConfig(4096, 1, 2048));
            metal::CreateCircularBuffer(*program, grid, metal::CircularBufferConfig(2048, 16, 2048));
            std::vector<std::shared_ptr<metal::Buffer>> inputs;
            for (int b = 0; b < buffers; ++b) {
                inputs.push_back(b % 2 == 0 ? metal::Buffer::create(device, 65536, 2048, metal::BufferType::DRAM)
                                            : metal::Buffer::create(device, 8192, 2048, metal::BufferType::L1));
            }
            metal::EnqueueProgram(device, program, next_key++);
        }
    }
    if (close) {
        for (metal::IDevice* device : opened) {
            metal::CloseDevice(device);
        }
    }
    return opened;
}

template <typename Exception, typename F>
bool throws(F&& f) {
    try {
        f();
    } catch (const Exception&) {
        return true;
    }
    return false;
}

}  // namespace simtest
