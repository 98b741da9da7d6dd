"""Where a reported event stands: announced, completed, planned, rumoured or terminated."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from enrich.events import TriggerSet, read_data
from enrich.schema import Status

DEFAULT_STATUS: Status = "announced"
# How far along a deal is, for merging reports: a later report of completion wins over the
# announcement, and a termination over everything.
PROGRESS: dict[str, int] = {"rumoured": 0, "planned": 1, "announced": 2, "completed": 3, "terminated": 4}


class StatusDetector:
    def __init__(self, path: Path | None = None):
        where = str(path or "enrich/data/statuses.yaml")
        spec = read_data("statuses.yaml", path)
        self.order: list[Status] = [s for s in ("terminated", "rumoured", "planned", "completed") if s in spec]
        self.cues = {status: _cues(spec[status], f"{where}: {status}") for status in self.order}
        self.by_type = {
            (status, event_type): _cues(cues, f"{where}: {status}.by_type.{event_type}")
            for status in self.order
            for event_type, cues in (spec[status].get("by_type") or {}).items()
        }

    def detect(self, event_type: str, sentences: Iterable[str]) -> Status:
        """The status shown by the first sentence (headline first) that shows one."""
        for sentence in sentences:
            for status in self.order:
                if self.cues[status].search(sentence):
                    return status
                extra = self.by_type.get((status, event_type))
                if extra is not None and extra.search(sentence):
                    return status
        return DEFAULT_STATUS


def _cues(spec: dict, where: str) -> TriggerSet:
    return TriggerSet([*spec.get("en", []), *spec.get("zh", [])], where)
