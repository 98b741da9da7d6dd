"""One event per deal: the mentions of the same deal across outlets and languages, merged.

Two mentions report the same event when they have the same type, were reported within
``window_days`` of each other, and name the same organisations (regulators aside) — or one
names a subset of at least two of the other's (a report naming acquirer and target is the
same deal as one that also names the advisers). Parties are canonical gazetteer ids, so
史赛克 and Stryker are one party. Mentions naming no organisation stay events of their own.

Two guards keep different deals apart: reports naming a single organisation (a hospital's AI
launch, a company's funding round) must be within ``single_party_window_days``, since one
organisation makes several such announcements a quarter; and reports whose amounts in USD
differ by more than ``max_amount_ratio`` are different deals whatever their parties.

An event's id hashes its type, the parties of its first report and that report's date: it
does not change when later reports join, and the same inputs always give the same events.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from enrich.schema import Event, EventMention, EvidenceRef, Party
from enrich.status import PROGRESS

MAX_EVIDENCE = 10


@dataclass(frozen=True)
class ReportedMention:
    """An event mention with what is known of the article that carries it."""

    article_id: str
    source_id: str
    lang: str
    reported_at: datetime | None
    mention: EventMention

    @property
    def party_key(self) -> frozenset[str]:
        return frozenset(p.id for p in self.mention.parties if p.role != "regulator")

    @property
    def sort_key(self) -> tuple[datetime, str]:
        return (self.reported_at or datetime.max.replace(tzinfo=UTC), self.article_id)


@dataclass(frozen=True)
class SameDeal:
    """When two reports of the same type and parties are one deal."""

    window: timedelta
    single_party_window: timedelta
    max_amount_ratio: float

    def __call__(self, a: ReportedMention, b: ReportedMention) -> bool:
        window = self.single_party_window if len(a.party_key) == 1 else self.window
        if a.reported_at is not None and b.reported_at is not None and abs(a.reported_at - b.reported_at) > window:
            return False
        usd = [m.mention.amount.usd for m in (a, b) if m.mention.amount is not None and m.mention.amount.usd]
        return len(usd) < 2 or max(usd) / min(usd) <= self.max_amount_ratio


def cluster_events(
    mentions: Iterable[ReportedMention],
    window_days: int,
    single_party_window_days: int = 14,
    max_amount_ratio: float = 1.5,
) -> list[Event]:
    """The events these mentions report, ordered by first report."""
    same_deal = SameDeal(
        timedelta(days=window_days), timedelta(days=min(single_party_window_days, window_days)), max_amount_ratio
    )
    by_type: dict[str, list[ReportedMention]] = defaultdict(list)
    for mention in mentions:
        by_type[mention.mention.type].append(mention)
    events = []
    for reports in by_type.values():
        for group in _connected(sorted(reports, key=lambda m: m.sort_key), same_deal):
            events.append(_event(group))
    return sorted(events, key=lambda e: (e.date or datetime.max.replace(tzinfo=UTC), e.id))


def _connected(reports: list[ReportedMention], same_deal: SameDeal) -> list[list[ReportedMention]]:
    parent = list(range(len(reports)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(i: int, j: int) -> None:
        parent[find(i)] = find(j)

    by_key: dict[frozenset[str], list[int]] = defaultdict(list)
    for index, report in enumerate(reports):
        if report.party_key:
            by_key[report.party_key].append(index)
    by_party: dict[str, set[frozenset[str]]] = defaultdict(set)
    for key in by_key:
        for party in key:
            by_party[party].add(key)
    for key, indexes in by_key.items():
        # identical parties: a chain in time (reports are sorted by date)
        for earlier, later in zip(indexes, indexes[1:]):
            if same_deal(reports[earlier], reports[later]):
                union(earlier, later)
        # a subset of at least two parties: the same deal, named less fully
        if len(key) >= 2:
            supersets = set.intersection(*(by_party[p] for p in key)) - {key}
            for superset in supersets:
                for i in indexes:
                    for j in by_key[superset]:
                        if same_deal(reports[i], reports[j]):
                            union(i, j)
    groups: dict[int, list[ReportedMention]] = defaultdict(list)
    for index, report in enumerate(reports):
        groups[find(index)].append(report)
    return list(groups.values())


def _event(group: list[ReportedMention]) -> Event:
    first = group[0]  # groups keep the date order of their reports
    event_type = first.mention.type
    dates = [r.reported_at for r in group if r.reported_at is not None]
    if first.party_key:
        anchor = first.reported_at.date().isoformat() if first.reported_at else "undated"
        basis = "|".join([event_type, ",".join(sorted(first.party_key)), anchor])
    else:
        basis = "|".join([event_type, "article", first.article_id])
    article_ids = list(dict.fromkeys(r.article_id for r in group))
    evidence = []
    for report in group:
        if report.mention.evidence and len(evidence) < MAX_EVIDENCE:
            evidence.append(EvidenceRef(article_id=report.article_id, source_id=report.source_id,
                                        lang=report.lang, sentence=report.mention.evidence[0]))
    amount = next((r.mention.amount for r in group if r.mention.amount is not None), None)
    return Event(
        id=hashlib.sha256(basis.encode("utf-8")).hexdigest()[:16],
        type=event_type,
        status=max((r.mention.status for r in group), key=lambda s: PROGRESS[s]),
        parties=_merge_parties(group),
        amount=amount,
        date=min(dates) if dates else None,
        last_reported=max(dates) if dates else None,
        article_ids=article_ids,
        sources=sorted({r.source_id for r in group}),
        languages=sorted({r.lang for r in group}),
        evidence=evidence,
    )


def _merge_parties(group: list[ReportedMention]) -> list[Party]:
    """Each party once, with the role most reports give it."""
    first: dict[str, Party] = {}
    roles: dict[str, Counter[str]] = defaultdict(Counter)
    for report in group:
        for party in report.mention.parties:
            first.setdefault(party.id, party)
            if party.role:
                roles[party.id][party.role] += 1
    return [
        party.model_copy(update={"role": roles[pid].most_common(1)[0][0] if roles[pid] else None})
        for pid, party in first.items()
    ]
