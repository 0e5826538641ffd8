"""Medians and spreads of repeated measurements."""
import statistics


def summary(values):
    """Median, min, max and count of the values that are not None."""
    v = [x for x in values if x is not None]
    if not v:
        return None
    return {"median": statistics.median(v), "min": min(v), "max": max(v), "n": len(v)}


def median(values):
    return statistics.median(values)


def per_op(blocks_ns, ops_per_block):
    """Time per operation of a pass: its median block, so that one preempted block or
    one consumer wake-up does not move it."""
    return statistics.median(blocks_ns) / ops_per_block


def rotated(order, r):
    """The order of round r: each round starts one further along, so that a slow phase
    of the machine does not always fall on the same configuration."""
    k = r % len(order)
    return order[k:] + order[:k]
