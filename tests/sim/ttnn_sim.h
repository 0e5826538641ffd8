/* libttnn_sim.so: a small ttnn-like C API over the simulated libtt_metal.so, for the Python
 * workload (ctypes), as _ttnn.so is for `import ttnn`. Devices are MeshDevices, as ttnn's:
 * ttnn_sim_open_device(N) is ttnn.open_device(device_id=N), a unit mesh over chip N. A tensor
 * is one MeshBuffer (one address on every chip of its mesh). Ops run a mesh workload cached
 * in the mesh's program cache (three CBs of 4096, 4096 and 2048 bytes, as in the seeds), so a
 * repeated op hits the cache.
 *
 * Functions returning int give 0 or -1; functions returning a handle give NULL on error.
 * ttnn_sim_last_error() then says why (per thread). */
#ifndef TTNN_SIM_H
#define TTNN_SIM_H

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ttnn_sim_mesh ttnn_sim_mesh;
typedef struct ttnn_sim_tensor ttnn_sim_tensor;

enum ttnn_sim_memory { TTNN_SIM_DRAM = 0, TTNN_SIM_L1 = 1 };

/* Before the first mesh opens. leaks/ledger_path: NULL leaves the environment's setting;
 * defer_mark != 0: the caller will pause and call ttnn_sim_mark() when released. */
int ttnn_sim_configure(const char *leaks, const char *ledger_path, int defer_mark);
void ttnn_sim_mark(void);
const char *ttnn_sim_last_error(void);

/* ttnn.open_device(device_id=N): a unit MeshDevice over chip N. */
ttnn_sim_mesh *ttnn_sim_open_device(int device_id);
/* Opens chips 0..num_devices-1 as one MeshDevice. */
ttnn_sim_mesh *ttnn_sim_open_mesh_device(int num_devices);
int ttnn_sim_mesh_num_devices(const ttnn_sim_mesh *mesh);
/* Closes the mesh (its allocator is reset, its chips closed; its program cache, and so the
 * kernel binaries of cached ops, stay until the last reference goes) and releases the
 * handle. Tensors still alive keep the mesh object valid; their buffers were reclaimed. */
int ttnn_sim_close_mesh_device(ttnn_sim_mesh *mesh);

/* A tensor of `bytes` (a multiple of 2048) in DRAM or L1 on every device of the mesh. */
ttnn_sim_tensor *ttnn_sim_from_host(ttnn_sim_mesh *mesh, unsigned long long bytes, int memory);
/* Elementwise ops: a new tensor like a; a and b must match. */
ttnn_sim_tensor *ttnn_sim_add(const ttnn_sim_tensor *a, const ttnn_sim_tensor *b);
ttnn_sim_tensor *ttnn_sim_multiply(const ttnn_sim_tensor *a, const ttnn_sim_tensor *b);
/* Frees the tensor's buffers and releases the handle. */
int ttnn_sim_deallocate(ttnn_sim_tensor *tensor);

#ifdef __cplusplus
}
#endif

#endif /* TTNN_SIM_H */
