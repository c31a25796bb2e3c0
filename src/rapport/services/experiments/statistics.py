"""Intervals and tests for rates (clicks or conversions per impression).

Wilson score intervals for one rate, Newcombe's hybrid score interval (his method 10,
built from the two Wilson intervals) for a difference, and the pooled two-proportion
z-test; all are well behaved at small counts and rates near 0, where Wald intervals fail.
"""

from __future__ import annotations

import math

from scipy.stats import binomtest, norm

Z95 = float(norm.ppf(0.975))


def wilson(successes: int, trials: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of `successes / trials` ((0, 1) without trials)."""
    if trials <= 0:
        return 0.0, 1.0
    found = binomtest(min(successes, trials), trials).proportion_ci(
        confidence_level=confidence, method="wilson"
    )
    return float(found.low), float(found.high)


def rate(successes: int, trials: int) -> float:
    return successes / trials if trials else 0.0


def difference_interval(
    successes_b: int, trials_b: int, successes_a: int, trials_a: int, confidence: float = 0.95
) -> tuple[float, float]:
    """Newcombe's interval of `rate_b - rate_a` from the two Wilson intervals."""
    p_a, p_b = rate(successes_a, trials_a), rate(successes_b, trials_b)
    low_a, high_a = wilson(successes_a, trials_a, confidence)
    low_b, high_b = wilson(successes_b, trials_b, confidence)
    diff = p_b - p_a
    low = diff - math.sqrt((p_b - low_b) ** 2 + (high_a - p_a) ** 2)
    high = diff + math.sqrt((high_b - p_b) ** 2 + (p_a - low_a) ** 2)
    return max(-1.0, low), min(1.0, high)


def z_statistic(
    successes_b: int, trials_b: int, successes_a: int, trials_a: int, margin: float = 0.0
) -> float:
    """z of `rate_b - rate_a + margin` (pooled variance; 0 when it cannot be computed)."""
    if trials_a <= 0 or trials_b <= 0:
        return 0.0
    pooled = (successes_a + successes_b) / (trials_a + trials_b)
    variance = pooled * (1 - pooled) * (1 / trials_a + 1 / trials_b)
    if variance <= 0:
        return 0.0
    diff = rate(successes_b, trials_b) - rate(successes_a, trials_a)
    return (diff + margin) / math.sqrt(variance)


def two_sided_p(successes_b: int, trials_b: int, successes_a: int, trials_a: int) -> float:
    """Two-proportion z-test p-value of "the two rates are equal" (1 without data)."""
    if trials_a <= 0 or trials_b <= 0:
        return 1.0
    z = z_statistic(successes_b, trials_b, successes_a, trials_a)
    return float(math.erfc(abs(z) / math.sqrt(2)))


def worse_p(
    successes_b: int, trials_b: int, successes_a: int, trials_a: int, margin: float
) -> float:
    """One-sided p-value of "b is not worse than a by more than `margin`": small when
    `rate_b < rate_a - margin` clearly."""
    if trials_a <= 0 or trials_b <= 0:
        return 1.0
    z = z_statistic(successes_b, trials_b, successes_a, trials_a, margin)
    return float(norm.cdf(z))
