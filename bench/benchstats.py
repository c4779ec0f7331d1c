"""What the Python benchmarks share."""


def percentile(values, p):
    """The p-th percentile by nearest rank (nan for no values)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] if ordered else float("nan")
