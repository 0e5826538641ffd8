"""3. Sustained event rate without drops (bench/alloc_storm.cpp).

Two threads allocate and free buffers as fast as they can under the tracer with
its default ring buffer (4 MiB); the rate they reach and the drops the tracer
counts. Where drops start: if the default ring drops at full speed, the paced
rate is bisected down to the highest rate without drops; if it does not, the
ring is made smaller until it does, which shows the margin the default has.
"""
from .procs import Tracer, run_paused
from .stats import summary

DEFAULT_RING_KIB = 4096


def storm(build, seconds, rate=0, ring_kib=None):
    extra = ["--ringbuf", str(ring_kib)] if ring_kib else []
    res, tres = run_paused([build.bench("alloc_storm"), "--threads", "2", "--seconds",
                            str(seconds), "--rate", str(rate)], Tracer(build, extra))
    return {"rate": res["rate"], "untraced_rate": res["untraced_rate"],
            "events": res["expected_events"], "seen": tres["events"], "drops": tres["drops"],
            "ring_kib": ring_kib or DEFAULT_RING_KIB, "target_rate": rate}


def run(build, rounds, seconds, log):
    full = [storm(build, seconds) for _ in range(rounds)]
    out = {"threads": 2, "seconds": seconds, "ring_kib": DEFAULT_RING_KIB,
           "rate": summary(r["rate"] for r in full),
           "untraced_rate": summary(r["untraced_rate"] for r in full),
           "drops": summary(r["drops"] for r in full), "runs": full}
    log(f"event rate: {out['rate']['median']:.0f} ev/s, drops {out['drops']['max']}")
    if out["drops"]["max"] == 0:
        out["ring_sweep"] = ring_sweep(build, seconds, log)
    else:
        out["rate_sweep"] = rate_sweep(build, seconds, out["rate"]["min"], log)
    return out


def ring_sweep(build, seconds, log):
    """Smaller rings at full speed, down to the first that drops."""
    steps = []
    for kib in (1024, 256, 64, 16, 4):
        r = storm(build, seconds, ring_kib=kib)
        steps.append(r)
        log(f"  ring {kib} KiB: {r['rate']:.0f} ev/s, {r['drops']} drops")
        if r["drops"]:
            break
    return steps


def rate_sweep(build, seconds, top, log):
    """Bisect the paced rate between 0 and what full speed reached."""
    lo, hi, steps = 0.0, top, []
    for _ in range(5):
        mid = (lo + hi) / 2
        r = storm(build, seconds, rate=mid)
        steps.append(r)
        log(f"  paced {mid:.0f} ev/s: {r['drops']} drops")
        if r["drops"]:
            hi = mid
        else:
            lo = mid
    return {"max_rate_without_drops": lo, "steps": steps}
