"""Trend spikes: is the count of the last days well above what the weeks before predict?

The test: with a baseline of ``baseline_weeks`` weeks before the window, the window's
expected count is baseline rate × window days (at least ``min_expected``, so a series that
was silent does not spike on its first two mentions). The window's count is a spike when
the Poisson upper tail P(X ≥ count | expected) is below ``p_value``, the count is at least
``min_count`` and at least ``min_ratio`` times the expected one. All of it is configurable
(``alerts.trends`` in medradar.yaml).

The counts come from aggregations, never from loading documents: a date histogram per
(topic, event type, language) from the search backend, and SQL over the event store for
(party, event type) (``pipeline.eventstore``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta

from pydantic import BaseModel, Field
from scipy.stats import poisson

from search.query import SearchQuery


class SpikeTest(BaseModel):
    window_days: int = Field(default=7, ge=1, description="the recent period judged")
    baseline_weeks: int = Field(default=8, ge=1, description="the trailing period it is compared with")
    p_value: float = Field(default=0.001, gt=0, lt=1, description="Poisson upper tail below which it is a spike")
    min_count: int = Field(default=5, ge=1, description="fewer in the window is never a spike")
    min_ratio: float = Field(default=2.0, ge=1, description="count at least this many times the expected one")
    min_expected: float = Field(default=1.0, gt=0, description="floor of the expected count (silent baselines)")

    @property
    def baseline_days(self) -> int:
        return self.baseline_weeks * 7

    def window(self, today: date) -> tuple[date, date]:
        """[first, last] day of the window ending today."""
        return today - timedelta(days=self.window_days - 1), today

    def since(self, today: date) -> date:
        return today - timedelta(days=self.window_days - 1 + self.baseline_days)


class Series(BaseModel):
    """Daily counts of one thing: (party, event type) or (topic, event type, language)."""

    kind: str = Field(description="party or topic")
    key: str = Field(description="stable: what a trend alert is sent once per period for")
    label: str
    daily: dict[date, int] = Field(default_factory=dict)


class Spike(BaseModel):
    kind: str
    key: str
    label: str
    count: int
    expected: float
    p_value: float
    window_days: int
    baseline_days: int
    baseline_count: int
    first_seen: bool = Field(default=False, description="never counted before the window")


def judge(series: Series, today: date, test: SpikeTest) -> Spike:
    """The series' window against its baseline (a Spike whether or not it is one: see is_spike)."""
    first, last = test.window(today)
    start = test.since(today)
    count = sum(n for day, n in series.daily.items() if first <= day <= last)
    baseline = sum(n for day, n in series.daily.items() if start <= day < first)
    expected = max(baseline / test.baseline_days * test.window_days, test.min_expected)
    return Spike(
        kind=series.kind, key=series.key, label=series.label, count=count, expected=expected,
        p_value=float(poisson.sf(count - 1, expected)) if count else 1.0,
        window_days=test.window_days, baseline_days=test.baseline_days, baseline_count=baseline,
        first_seen=count > 0 and not any(n for day, n in series.daily.items() if day < first),
    )  # fmt: skip


def is_spike(spike: Spike, test: SpikeTest) -> bool:
    return spike.count >= test.min_count and spike.p_value < test.p_value and spike.count >= test.min_ratio * spike.expected


def spikes(series: Iterable[Series], today: date, test: SpikeTest) -> list[Spike]:
    """The spiking series, most surprising first."""
    found = [spike for spike in (judge(s, today, test) for s in series) if is_spike(spike, test)]
    return sorted(found, key=lambda s: (s.p_value, -s.count, s.key))


def topic_series(
    backend, topics: Mapping[str, str], event_types: Iterable[str], langs: Iterable[str], today: date, test: SpikeTest
) -> list[Series]:
    """Per (topic, event type, language): a daily date histogram from the backend's own
    aggregation (one search per combination, no document loaded)."""
    since = test.since(today)
    until = today + timedelta(days=1)
    found = []
    for name, text in topics.items():
        for event_type in event_types:
            for lang in langs:
                query = SearchQuery(
                    text=text, types=[event_type], langs=[lang], since=since, until=until, limit=1, histogram="day"
                )
                buckets = backend.search(query).histogram
                if buckets:
                    found.append(
                        Series(
                            kind="topic", key=f"topic:{name}:{event_type}:{lang}", label=f"{name} · {event_type} · {lang}",
                            daily={bucket.start: bucket.count for bucket in buckets},
                        )
                    )  # fmt: skip
    return found
