"""Spike detection on synthetic daily series: one with a known spike, one without."""

from __future__ import annotations

import random
from datetime import date, timedelta

from search.trends import Series, SpikeTest, is_spike, judge, spikes

TODAY = date(2025, 6, 30)
TEST = SpikeTest(window_days=7, baseline_weeks=8, p_value=0.001, min_count=5, min_ratio=2.0)


def series(key: str, baseline_rate: float, window_rate: float, seed: int) -> Series:
    """Daily Poisson-ish counts: ``baseline_rate`` a day for 8 weeks, then ``window_rate`` a day for 7 days."""
    rng = random.Random(seed)
    daily = {}
    for back in range(TEST.window_days + TEST.baseline_days):
        day = TODAY - timedelta(days=back)
        rate = window_rate if back < TEST.window_days else baseline_rate
        # a sum of Bernoulli draws: binomial, close to Poisson for small rates
        daily[day] = sum(rng.random() < rate / 10 for _ in range(10))
    return Series(kind="topic", key=key, label=key, daily=daily)


def test_a_known_spike_is_found_and_a_steady_series_is_not():
    spiking = series("ai partnerships", baseline_rate=0.5, window_rate=3.0, seed=1)
    steady = series("licensing", baseline_rate=1.0, window_rate=1.0, seed=2)
    found = spikes([spiking, steady], TODAY, TEST)
    assert [s.key for s in found] == ["ai partnerships"]
    [spike] = found
    assert spike.count >= 5 and spike.count >= 2 * spike.expected and spike.p_value < 0.001
    assert not is_spike(judge(steady, TODAY, TEST), TEST)


def test_the_numbers_are_the_poisson_upper_tail_of_the_baseline_rate():
    flat = {TODAY - timedelta(days=back): 1 for back in range(7, 63)}  # 56 in 8 weeks: 7 expected a week
    burst = {TODAY - timedelta(days=back): 4 for back in range(7)}  # 28 this week
    spike = judge(Series(kind="party", key="k", label="k", daily={**flat, **burst}), TODAY, TEST)
    assert (spike.count, spike.expected, spike.baseline_count) == (28, 7.0, 56)
    assert 0 < spike.p_value < 1e-7 and is_spike(spike, TEST)
    # the same week after the same level: no spike
    level = judge(Series(kind="party", key="k", label="k", daily={**flat, **{TODAY: 7}}), TODAY, TEST)
    assert level.count == 7 and level.p_value > 0.4 and not is_spike(level, TEST)


def test_few_mentions_of_a_silent_series_are_first_seen_but_not_a_spike():
    once = judge(Series(kind="party", key="p", label="p", daily={TODAY: 2}), TODAY, TEST)
    assert once.first_seen and once.expected == TEST.min_expected and not is_spike(once, TEST)
    old = judge(Series(kind="party", key="p", label="p", daily={TODAY - timedelta(days=100): 1, TODAY: 1}), TODAY, TEST)
    assert not old.first_seen
