/* Control API of the simulated runtime (exported by libtt_metal.so; not part of tt-metal).
 * Everything here must be called before the runtime starts (the first device open), except
 * ttsim_mark() and ttsim_ledger_finish(). Environment equivalents: TTSIM_LEAKS, TTSIM_LEDGER;
 * a call overrides its variable. */
#ifndef TTSIM_CONTROL_H
#define TTSIM_CONTROL_H

#ifdef __cplusplus
extern "C" {
#endif

/* "cb_tracking,kernel_binary,cache_callback" (any subset), "all", "none" or "".
 * 0, -EINVAL for an unknown switch, -EBUSY once the runtime has started. */
int ttsim_set_leaks(const char *list);

/* Write the ledger to path ("" or NULL: no ledger). 0 or -EBUSY. */
int ttsim_set_ledger(const char *path);

/* The caller will pause for a tracer and call ttsim_mark() when released; without this the
 * mark line follows the ledger header. 0 or -EBUSY. */
int ttsim_defer_mark(void);

/* Writes the mark line (once): allocations after it are in the since_mark scope. */
void ttsim_mark(void);

/* Writes the leak and summary lines and "end" now instead of at exit; later events are not
 * recorded. */
void ttsim_ledger_finish(void);

#ifdef __cplusplus
}
#endif

#endif /* TTSIM_CONTROL_H */
