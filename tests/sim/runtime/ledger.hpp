// The ledger: the test oracle. It records what the simulated runtime really allocated, freed,
// reclaimed and leaked, as a line-oriented text file (format and semantics: ../README.md).
// It knows nothing of tt-metal classes: the runtime reports plain facts to it, so it can be
// reasoned about, and tested, on its own.
#pragma once

#include <cstdint>
#include <cstdio>
#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace ttsim {

// The call path an allocation comes from. The runtime sets it around its own allocations;
// anything else is the user's.
enum class Site { user, kernel_binary, cache_callback };

class SiteScope {
public:
    explicit SiteScope(Site site);
    ~SiteScope();
    SiteScope(const SiteScope&) = delete;
    SiteScope& operator=(const SiteScope&) = delete;
    static Site current();

private:
    Site saved_;
};

// Item types as the ledger prints them: the BufferType values 0..4, then CB.
inline constexpr int kTypeCB = 5;

// What owns an allocator (or receives a CB report): a physical chip or a MeshDevice, printed
// as chip:N / mesh:M. Chips sort before meshes.
struct DevKey {
    bool mesh = false;
    int id = 0;

    friend bool operator<(DevKey a, DevKey b) { return a.mesh != b.mesh ? !a.mesh : a.id < b.id; }
    friend bool operator==(DevKey a, DevKey b) { return a.mesh == b.mesh && a.id == b.id; }
    std::string str() const { return (mesh ? "mesh:" : "chip:") + std::to_string(id); }
};

struct BufferFacts {
    DevKey dev;
    int type;  // BufferType value
    std::uint64_t addr;
    std::uint64_t size;
    std::uint64_t page;
    const void* buffer;
    const void* allocator;
};

class Ledger {
public:
    static Ledger& instance();  // never destroyed

    // Starts the file (truncating it) and registers the exit-time finish. Without a call to
    // open() every other method is a no-op.
    void open(const std::string& path, unsigned leaks, bool defer_mark);

    void device_open(DevKey dev, const void* device);
    void mesh_open(int mesh_id, const std::vector<int>& chips);
    void buffer_alloc(const BufferFacts& facts);        // Site is SiteScope::current()
    void buffer_free(const void* buffer);               // individual deallocation
    void hooked_alloc(const BufferFacts& facts);        // no device memory: never a leak
    void hooked_free(const void* buffer);
    void cb_alloc(DevKey dev, const void* program, std::uint64_t addr, std::uint64_t size, bool global);
    void cb_dealloc_report(DevKey dev);
    void program_destroy(const void* program);
    void allocator_reset(const void* allocator);        // bulk reclaim of the allocator's buffers
    void device_close(DevKey dev, const void* device);
    void mark();
    void finish();  // leak and summary lines, then "end"; later events are ignored

private:
    struct Item {
        DevKey dev;
        int type;
        std::uint64_t addr;
        std::uint64_t size;
        bool pre_mark;  // allocated before the mark
    };
    struct LiveBuffer {
        Item item;
        const void* allocator;
    };
    struct CbEntry {
        Item item;
        std::uint64_t program_seq;  // programs are told apart by sequence, not by reusable address
    };
    struct ChipCounts {
        long untracked = 0;  // allocated buffers never individually deallocated (live or reclaimed)
        long untracked_since_mark = 0;
    };

    Ledger() = default;
    bool writable() const;
    void write(const char* fmt, ...) __attribute__((format(printf, 2, 3)));
    void write_mark();
    void write_leaks_and_summaries();

    std::mutex mutex_;
    std::FILE* out_ = nullptr;
    long owner_pid_ = 0;  // a forked child must not write into its parent's ledger
    bool finished_ = false;
    bool marked_ = false;
    bool mark_pending_ = false;  // mark() came before open()

    std::unordered_map<const void*, LiveBuffer> live_;  // by Buffer*, while allocated
    std::unordered_map<const void*, Item> reclaimed_live_;  // reclaimed, Buffer object not yet freed
    std::unordered_map<const void*, DevKey> hooked_;
    std::vector<Item> reclaimed_;
    std::map<DevKey, std::vector<CbEntry>> cb_view_;  // per device: CBs since its last report
    std::unordered_map<const void*, std::uint64_t> live_programs_;
    std::unordered_set<std::uint64_t> destroyed_programs_;
    std::uint64_t next_program_seq_ = 1;
    std::map<DevKey, ChipCounts> chips_;
    std::map<std::pair<DevKey, int>, std::pair<long, std::uint64_t>> pre_mark_free_;  // (dev,type)->(n,bytes)
};

}  // namespace ttsim
