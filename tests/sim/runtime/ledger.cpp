#include "ledger.hpp"

#include <algorithm>
#include <cinttypes>
#include <cstdarg>
#include <cstdlib>
#include <ctime>
#include <tuple>
#include <unistd.h>

#include "config.hpp"
#include "gen.hpp"

namespace ttsim {
namespace {

thread_local Site current_site = Site::user;

const char* site_name(Site site) {
    switch (site) {
        case Site::kernel_binary: return "kernel_binary";
        case Site::cache_callback: return "cache_callback";
        case Site::user: break;
    }
    return "user";
}

const char* type_name(int type) {
    static const char* const names[] = {"DRAM", "L1", "SYSTEM_MEMORY", "L1_SMALL", "TRACE", "CB"};
    return type >= 0 && type <= kTypeCB ? names[type] : "UNKNOWN";
}

// Same clock as bpf_ktime_get_ns(), so ledger and tracer timestamps compare directly.
unsigned long long now_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<unsigned long long>(ts.tv_sec) * 1000000000ull + static_cast<unsigned long long>(ts.tv_nsec);
}

std::uintptr_t ptr(const void* p) { return reinterpret_cast<std::uintptr_t>(p); }

}  // namespace

SiteScope::SiteScope(Site site) : saved_(current_site) { current_site = site; }
SiteScope::~SiteScope() { current_site = saved_; }
Site SiteScope::current() { return current_site; }

Ledger& Ledger::instance() {
    static Ledger* const ledger = new Ledger;  // outlives the static destructors run at exit
    return *ledger;
}

bool Ledger::writable() const { return out_ != nullptr && !finished_ && owner_pid_ == static_cast<long>(getpid()); }

void Ledger::write(const char* fmt, ...) {
    std::va_list args;
    va_start(args, fmt);
    std::vfprintf(out_, fmt, args);
    va_end(args);
    std::fputc('\n', out_);
    std::fflush(out_);  // a killed process leaves a valid prefix
}

void Ledger::open(const std::string& path, unsigned leaks, bool defer_mark) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (out_ != nullptr || finished_) {
        return;  // one ledger per process
    }
    out_ = std::fopen(path.c_str(), "we");
    if (out_ == nullptr) {
        std::fprintf(stderr, "ttsim: cannot write the ledger %s; running without one\n", path.c_str());
        return;
    }
    owner_pid_ = static_cast<long>(getpid());
    write("ttsim-ledger v2 era=%s pid=%ld leaks=%s", TTSIM_ERA_NAME, owner_pid_, format_leaks(leaks).c_str());
    if (!defer_mark || mark_pending_) {
        write_mark();
    }
    std::atexit([] { Ledger::instance().finish(); });
}

void Ledger::write_mark() {
    marked_ = true;
    write("mark ts=%llu", now_ns());
}

void Ledger::mark() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (out_ == nullptr) {
        mark_pending_ = true;
    } else if (writable() && !marked_) {
        write_mark();
    }
}

void Ledger::device_open(DevKey dev, const void* device) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!writable()) {
        return;
    }
    write("device_open ts=%llu dev=%s device=0x%" PRIxPTR, now_ns(), dev.str().c_str(), ptr(device));
}

void Ledger::mesh_open(int mesh_id, const std::vector<int>& chips) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!writable()) {
        return;
    }
    std::string list;
    for (int chip : chips) {
        list += (list.empty() ? "" : ",") + std::to_string(chip);
    }
    write("mesh id=%d chips=%s", mesh_id, list.c_str());
}

void Ledger::hooked_alloc(const BufferFacts& f) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!writable()) {
        return;
    }
    hooked_[f.buffer] = f.dev;
    write("hooked ts=%llu op=alloc dev=%s type=%s addr=%" PRIu64 " size=%" PRIu64 " page=%" PRIu64 " buffer=0x%" PRIxPTR,
          now_ns(), f.dev.str().c_str(), type_name(f.type), f.addr, f.size, f.page, ptr(f.buffer));
}

void Ledger::hooked_free(const void* buffer) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!writable()) {
        return;
    }
    const auto it = hooked_.find(buffer);
    if (it == hooked_.end()) {
        return;
    }
    write("hooked ts=%llu op=free dev=%s buffer=0x%" PRIxPTR, now_ns(), it->second.str().c_str(), ptr(buffer));
    hooked_.erase(it);
}

void Ledger::buffer_alloc(const BufferFacts& f) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!writable()) {
        return;
    }
    const Item item{f.dev, f.type, f.addr, f.size, !marked_};
    live_[f.buffer] = LiveBuffer{item, f.allocator};
    ChipCounts& chip = chips_[f.dev];
    ++chip.untracked;
    chip.untracked_since_mark += item.pre_mark ? 0 : 1;
    write("alloc ts=%llu dev=%s type=%s addr=%" PRIu64 " size=%" PRIu64 " page=%" PRIu64 " buffer=0x%" PRIxPTR
          " allocator=0x%" PRIxPTR " site=%s",
          now_ns(), f.dev.str().c_str(), type_name(f.type), f.addr, f.size, f.page, ptr(f.buffer), ptr(f.allocator),
          site_name(SiteScope::current()));
}

void Ledger::buffer_free(const void* buffer) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!writable()) {
        return;
    }
    // A buffer reclaimed by a bulk reset and then deallocated one by one (E1's
    // ~SubDeviceManager) is freed as far as a listener can tell, but stays a leak at close.
    bool reclaimed = false;
    Item item;
    if (const auto it = live_.find(buffer); it != live_.end()) {
        item = it->second.item;
        live_.erase(it);
    } else if (const auto r = reclaimed_live_.find(buffer); r != reclaimed_live_.end()) {
        item = r->second;
        reclaimed_live_.erase(r);
        reclaimed = true;
    } else {
        return;  // not allocated as far as the runtime knows: nothing freed
    }
    ChipCounts& chip = chips_[item.dev];
    --chip.untracked;
    chip.untracked_since_mark -= item.pre_mark ? 0 : 1;
    if (item.pre_mark && marked_ && !reclaimed) {
        auto& agg = pre_mark_free_[{item.dev, item.type}];
        ++agg.first;
        agg.second += item.size;
    }
    write("free ts=%llu dev=%s type=%s addr=%" PRIu64 " size=%" PRIu64 " buffer=0x%" PRIxPTR " pre_mark=%d reclaimed=%d",
          now_ns(), item.dev.str().c_str(), type_name(item.type), item.addr, item.size, ptr(buffer),
          item.pre_mark ? 1 : 0, reclaimed ? 1 : 0);
}

void Ledger::cb_alloc(DevKey dev, const void* program, std::uint64_t addr, std::uint64_t size, bool global) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!writable()) {
        return;
    }
    const auto [it, inserted] = live_programs_.try_emplace(program, next_program_seq_);
    next_program_seq_ += inserted ? 1 : 0;
    cb_view_[dev].push_back({Item{dev, kTypeCB, addr, size, !marked_}, it->second});
    write("cb_alloc ts=%llu dev=%s program=0x%" PRIxPTR " addr=%" PRIu64 " size=%" PRIu64 " global=%d", now_ns(),
          dev.str().c_str(),
          ptr(program), addr, size, global ? 1 : 0);
}

void Ledger::cb_dealloc_report(DevKey dev) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!writable()) {
        return;
    }
    cb_view_.erase(dev);
    write("cb_dealloc_report ts=%llu dev=%s", now_ns(), dev.str().c_str());
}

void Ledger::program_destroy(const void* program) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!writable()) {
        return;
    }
    const auto it = live_programs_.find(program);
    if (it != live_programs_.end()) {
        destroyed_programs_.insert(it->second);
        live_programs_.erase(it);
    }
    write("program_destroy ts=%llu program=0x%" PRIxPTR, now_ns(), ptr(program));
}

void Ledger::allocator_reset(const void* allocator) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!writable()) {
        return;
    }
    // Live buffers of this allocator are reclaimed by the reset. They stay in the chip's
    // untracked count: a GraphTracker listener never saw them deallocated.
    std::vector<std::pair<const void*, Item>> reclaimed;
    for (auto it = live_.begin(); it != live_.end();) {
        if (it->second.allocator == allocator) {
            reclaimed.emplace_back(it->first, it->second.item);
            reclaimed_live_[it->first] = it->second.item;
            it = live_.erase(it);
        } else {
            ++it;
        }
    }
    std::sort(reclaimed.begin(), reclaimed.end(), [](const auto& a, const auto& b) {
        return std::tie(a.second.type, a.second.addr) < std::tie(b.second.type, b.second.addr);
    });
    const auto ts = now_ns();
    for (const auto& [buffer, item] : reclaimed) {
        reclaimed_.push_back(item);
        write("reclaim ts=%llu dev=%s type=%s addr=%" PRIu64 " size=%" PRIu64 " buffer=0x%" PRIxPTR " pre_mark=%d", ts,
              item.dev.str().c_str(), type_name(item.type), item.addr, item.size, ptr(buffer), item.pre_mark ? 1 : 0);
    }
}

void Ledger::device_close(DevKey dev, const void* device) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!writable()) {
        return;
    }
    // What a GraphTracker listener keyed by chip would hold now: CBs it has not seen reported,
    // plus buffers it saw allocated and never deallocated, over the whole process.
    long live = chips_[dev].untracked;
    long live_since_mark = chips_[dev].untracked_since_mark;
    for (const CbEntry& cb : cb_view_[dev]) {
        ++live;
        live_since_mark += cb.item.pre_mark ? 0 : 1;
    }
    write("device_close ts=%llu dev=%s device=0x%" PRIxPTR " tracking_live=%ld tracking_live_since_mark=%ld", now_ns(),
          dev.str().c_str(), ptr(device), live, live_since_mark);
}

void Ledger::finish() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!writable()) {
        return;
    }
    write_leaks_and_summaries();
    write("end ts=%llu", now_ns());
    finished_ = true;
    std::fclose(out_);
    out_ = nullptr;
}

void Ledger::write_leaks_and_summaries() {
    static const char* const categories[] = {"cb_tracking", "reclaimed_at_close", "never_freed"};
    std::vector<Item> items[3];
    for (const auto& [dev, entries] : cb_view_) {
        for (const CbEntry& cb : entries) {
            if (destroyed_programs_.count(cb.program_seq) != 0) {
                items[0].push_back(cb.item);  // CBs of a live program are its own, not a leak
            }
        }
    }
    items[1] = reclaimed_;
    for (const auto& [buffer, live] : live_) {
        items[2].push_back(live.item);
    }

    using LeakKey = std::tuple<DevKey, int, std::uint64_t, std::uint64_t>;  // dev, type, addr, size
    using GroupKey = std::pair<DevKey, int>;                                // dev, type
    for (const bool since_mark : {false, true}) {
        const char* scope = since_mark ? "since_mark" : "all";
        for (int c = 0; c < 3; ++c) {
            std::map<LeakKey, long> leaks;
            for (const Item& item : items[c]) {
                if (!since_mark || !item.pre_mark) {
                    ++leaks[{item.dev, item.type, item.addr, item.size}];
                }
            }
            for (const auto& [key, count] : leaks) {
                const auto& [dev, type, addr, size] = key;
                write("leak scope=%s category=%s dev=%s type=%s addr=%" PRIu64 " size=%" PRIu64 " count=%ld", scope,
                      categories[c], dev.str().c_str(), type_name(type), addr, size, count);
            }
        }
    }
    for (const bool since_mark : {false, true}) {
        const char* scope = since_mark ? "since_mark" : "all";
        for (int c = 0; c < 3; ++c) {
            std::map<GroupKey, std::pair<long, std::uint64_t>> groups;
            for (const Item& item : items[c]) {
                if (!since_mark || !item.pre_mark) {
                    auto& group = groups[{item.dev, item.type}];
                    ++group.first;
                    group.second += item.size;
                }
            }
            for (const auto& [key, agg] : groups) {
                write("summary scope=%s category=%s dev=%s type=%s count=%ld bytes=%" PRIu64, scope, categories[c],
                      key.first.str().c_str(), type_name(key.second), agg.first, agg.second);
            }
        }
        if (since_mark) {
            for (const auto& [key, agg] : pre_mark_free_) {
                write("summary scope=since_mark category=pre_mark_free dev=%s type=%s count=%ld bytes=%" PRIu64,
                      key.first.str().c_str(), type_name(key.second), agg.first, agg.second);
            }
        }
    }
}

}  // namespace ttsim
