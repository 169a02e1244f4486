"""Medians, ratios and a bootstrap interval: small enough not to need NumPy."""

import random
import statistics


def median(values):
    return statistics.median(values)


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


def ratio_interval(a, b, resamples=300, seed=1):
    """95% bootstrap interval of median(a) / median(b)."""
    rng = random.Random(seed)
    ratios = []
    for _ in range(resamples):
        ra = [a[rng.randrange(len(a))] for _ in a]
        rb = [b[rng.randrange(len(b))] for _ in b]
        ratios.append(median(ra) / median(rb))
    ratios.sort()
    return ratios[int(0.025 * resamples)], ratios[int(0.975 * resamples) - 1]


def median_interval(values, resamples=1000, seed=1):
    """95% bootstrap interval of median(values)."""
    rng = random.Random(seed)
    medians = sorted(median([values[rng.randrange(len(values))] for _ in values]) for _ in range(resamples))
    return medians[int(0.025 * resamples)], medians[int(0.975 * resamples) - 1]
