"""The organisations an event involves, and their roles.

Known organisations come from the gazetteer. Organisations it lacks are discovered from the
shape of their names (…医院, …有限公司, …集团 / …Inc., …Medical, …Therapeutics) and from
jieba's part-of-speech tags (``nt``, an organisation name, is the NER jieba has); they are
kept as candidates (``Party.known`` false). Roles come from the patterns in
``data/roles.yaml``, matched on each evidence sentence with its organisations replaced by
slots, so one pattern serves every name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from enrich.events import read_data
from enrich.gazetteer import Gazetteer, Organisation
from enrich.schema import Party

MAX_PARTIES = 8
_SLOT = re.compile(r"⟨(\d+)⟩")
_LIST_JOINER = r"(?:\s*,\s*(?:and\s+)?|\s+and\s+|\s*&\s*|、|和|及|与|以及)"

_EN_SUFFIX = (
    r"Inc|Corp|Corporation|Co|Ltd|Limited|LLC|GmbH|AG|SA|plc|PLC|Medical|MedTech|Medtech|Health|"
    r"Healthcare|Therapeutics|Biosciences|Bioscience|Biotech|Biotherapeutics|Pharma|Pharmaceuticals?|"
    r"Technologies|Diagnostics|Robotics|Surgical|Devices|Labs|Laboratories|Hospital|Clinic|Capital|"
    r"Ventures|Partners|Holdings|Genomics|Biologics|Bio|Imaging|Scientific|Sciences|Lifesciences|"
    r"Vascular|Orthopedics|Orthopaedics|Neuroscience|Oncology|Biomedical|Biopharma|Biopharmaceuticals?"
)
_EN_CANDIDATE = re.compile(
    rf"(?<![\w&.’'-])((?:[A-Z][\w&’'.-]*\s){{1,4}}(?:{_EN_SUFFIX})\b\.?)(?:,?\s(?:Inc|Ltd|LLC|Co)\b\.?)?"
)
# Capitalised words that start sentences or describe rather than name.
_EN_NOT_NAME = {
    "The", "A", "An", "And", "In", "On", "At", "With", "For", "From", "By", "Of", "To", "As", "Its",
    "Their", "This", "That", "These", "Chinese", "China", "US", "U.S.", "American", "European", "German",
    "Japanese", "Global", "Shares", "Under", "After", "Before", "When", "While", "Both", "Digital",
    "New", "Today", "Yesterday", "Medical", "Health", "Healthcare", "Hospital", "Rural", "Regional",
}
_ZH_STRONG_SUFFIX = (
    "股份有限公司", "有限责任公司", "有限公司", "集团", "医院", "研究院", "研究所", "大学", "学院", "诊所",
    "资本", "创投", "基金", "实验室", "医学中心", "卫生院", "公司",
)
_ZH_WEAK_SUFFIX = ("科技", "医疗", "生物", "制药", "药业", "医药", "智能", "基因", "医学", "机器人")
_ZH_SUFFIX_PREFILTER = re.compile("|".join(_ZH_STRONG_SUFFIX + _ZH_WEAK_SUFFIX))
_ZH_STOP = set(
    "与 和 及 同 跟 对 由 被 向 在 将 已 拟 宣布 完成 联合 携手 牵手 联手 收购 并购 获得 获 的 了 等 为 是 于 "
    "旗下 子公司 称 表示 透露 今日 近日 日前 此前 今年 去年 其 该 这家 一家 以及 并 也 还 都 从 自 给 把 让 "
    "使 通过 已经 正式 发布 推出 投资 领投 参投 跟投 合作 签约 签署 达成 启动 成立 落户 入驻 位于 来自 包括 "
    "如 作为 由于 多家 各 全国 国内 国外 海外 本土 相关 首家 知名 大型 这 那 此 后 前 中 上 下 内 外".split()
)
_ZH_PROPER_TAGS = {"ns", "nr", "nrt", "nrfg", "nz", "nt", "j", "x", "eng"}
_ZH_STOP_TAGS = {"p", "c", "u", "uj", "ul", "uz", "ug", "uv", "ud", "r", "d", "w", "f", "t"}
_ZH_NAME_WINDOW = 20
_COMPANY_FORMS = re.compile(
    r"(,?\s(Inc|Corp|Corporation|Co|Ltd|Limited|LLC|GmbH|AG|SA|plc)\.?)+$|(股份有限公司|有限责任公司|有限公司)$"
)


@dataclass(frozen=True)
class OrgMention:
    """An organisation named in a sentence: a known one, or a candidate the gazetteer lacks."""

    start: int
    end: int
    surface: str
    org: Organisation | None = None

    @property
    def key(self) -> str:
        return self.org.id if self.org else candidate_id(self.surface)

    def party(self, role: str | None) -> Party:
        if self.org:
            role = role or ("regulator" if self.org.kind == "regulator" else None)
            return Party(id=self.org.id, name=self.org.name_en, name_zh=self.org.name_zh, role=role)
        return Party(id=self.key, name=self.surface, role=role, known=False)


def candidate_id(name: str) -> str:
    """A discovered organisation's id: its name without company form, case or spacing."""
    core = _COMPANY_FORMS.sub("", name.strip()).strip(" ,.")
    return "candidate:" + re.sub(r"\s+", " ", core).casefold()


@dataclass(frozen=True)
class RolePattern:
    regex: re.Pattern[str]
    roles: dict[str, str]  # regex group → role


class PartyExtractor:
    def __init__(self, gazetteer: Gazetteer, roles_path: Path | None = None):
        self.gazetteer = gazetteer
        where = str(roles_path or "enrich/data/roles.yaml")
        self.patterns: dict[str, list[RolePattern]] = {}
        self.default_roles: dict[str, str | None] = {}
        for event_type, spec in read_data("roles.yaml", roles_path).items():
            self.default_roles[event_type] = spec.get("default")
            self.patterns[event_type] = [
                _role_pattern(text, group["roles"], f"{where}: {event_type}")
                for group in spec.get("patterns") or []
                for text in [*group.get("en", []), *group.get("zh", [])]
            ]

    def organisations(self, sentence: str) -> list[OrgMention]:
        """Known and candidate organisations in the sentence, in order, none overlapping."""
        known = [OrgMention(m.start, m.end, m.surface, m.org) for m in self.gazetteer.find(sentence)]
        found = known + [
            candidate
            for candidate in self.candidates(sentence)
            if not any(candidate.start < k.end and k.start < candidate.end for k in known)
        ]
        return sorted(found, key=lambda m: m.start)

    def candidates(self, sentence: str) -> list[OrgMention]:
        """Organisations named in the sentence by the shape of their names (not the gazetteer)."""
        found = []
        for match in _EN_CANDIDATE.finditer(sentence):
            words = match.group(1).split()
            while words and (words[0] in _EN_NOT_NAME or words[0].endswith("-based")):
                words.pop(0)
            if len(words) >= 2:
                name = " ".join(words)
                start = match.start(1) + match.group(1).index(name)
                found.append(OrgMention(start, start + len(name), name))
        if _ZH_SUFFIX_PREFILTER.search(sentence):
            found.extend(self._zh_candidates(sentence))
        found.sort(key=lambda m: (m.start, m.start - m.end))
        longest: list[OrgMention] = []
        for mention in found:
            if longest and mention.start < longest[-1].end:
                if mention.end > longest[-1].end and mention.start == longest[-1].start:
                    longest[-1] = mention
                continue
            longest.append(mention)
        return longest

    def parties(self, event_type: str, sentences: Iterable[str]) -> list[Party]:
        """The organisations of an event reported in ``sentences`` (headline first), with the
        roles the sentences show; organisations without one are kept from the first two."""
        roles: dict[str, str] = {}
        first_seen: dict[str, tuple[OrgMention, int]] = {}
        for index, sentence in enumerate(sentences):
            mentions = _merge_repeats(sentence, self.organisations(sentence))
            for mention in mentions:
                first_seen.setdefault(mention.key, (mention, index))
            if len(mentions) >= 1:
                for key, role in self._roles(event_type, sentence, mentions).items():
                    roles.setdefault(key, role)
        default = self.default_roles.get(event_type)
        parties = [
            mention.party(roles.get(key) or default)
            for key, (mention, index) in first_seen.items()
            if key in roles or index < 2
        ]
        return parties[:MAX_PARTIES]

    # -- internals ---------------------------------------------------------------------

    def _roles(self, event_type: str, sentence: str, mentions: list[OrgMention]) -> dict[str, str]:
        pieces, position = [], 0
        for index, mention in enumerate(mentions):
            pieces += [sentence[position : mention.start], f"⟨{index}⟩"]
            position = mention.end
        slotted = "".join(pieces) + sentence[position:]
        roles: dict[str, str] = {}
        for pattern in self.patterns.get(event_type, []):
            match = pattern.regex.search(slotted)
            if not match:
                continue
            for group, role in pattern.roles.items():
                for slot in _SLOT.findall(match.group(group) or ""):
                    roles.setdefault(mentions[int(slot)].key, role)
        return roles

    @cached_property
    def _posseg(self):  # jieba.posseg.POSTokenizer; its import loads tables, so only when needed
        import jieba.posseg

        return jieba.posseg.POSTokenizer(self.gazetteer.tokenizer)

    def _zh_candidates(self, sentence: str) -> list[OrgMention]:
        found = []
        for suffix in _ZH_SUFFIX_PREFILTER.finditer(sentence):
            low = max(0, suffix.start() - _ZH_NAME_WINDOW)
            window = sentence[low : suffix.end()]
            tokens = [(pair.word, pair.flag) for pair in self._posseg.cut(window)]
            # The name ends with the suffix: walk back over name-like words.
            if not tokens or not tokens[-1][0].endswith(suffix.group()):
                continue
            name_tokens = [tokens[-1]]
            for index in range(len(tokens) - 2, -1, -1):
                word, flag = tokens[index]
                if word in _ZH_STOP or flag in _ZH_STOP_TAGS or not word.strip() or not _is_name_text(word):
                    break
                # A verb ends the name (组建|滨江医疗集团) unless a place name comes before it:
                # 杭州启明医疗 is a company whose 启明 jieba tags as a verb.
                if flag.startswith("v") and not (index and tokens[index - 1][1] == "ns"):
                    break
                name_tokens.insert(0, (word, flag))
            if not _plausible_zh_name(name_tokens, suffix.group()):
                continue
            name = "".join(word for word, _ in name_tokens)
            start = low + len(window) - len(name)
            found.append(OrgMention(start, start + len(name), name))
        return found


def _is_name_text(word: str) -> bool:
    return all(ch.isalnum() or ch in "·&-" for ch in word)


def _plausible_zh_name(tokens: list[tuple[str, str]], suffix: str) -> bool:
    """A name, not a description: some proper-noun word besides the suffix, and for the
    weak suffixes (科技, 医疗...) that word right before it (数字医疗 is no company)."""
    name = "".join(word for word, _ in tokens)
    if len(name) < 4 or len(name) > 30:
        return False
    if len(tokens) == 1:
        return tokens[0][1] == "nt" and len(name) > len(suffix)
    head = tokens[:-1]
    if suffix in _ZH_WEAK_SUFFIX:
        word, flag = head[-1]
        return flag in _ZH_PROPER_TAGS and not word.isascii()
    return any(flag in _ZH_PROPER_TAGS for _, flag in head)


def _merge_repeats(sentence: str, mentions: list[OrgMention]) -> list[OrgMention]:
    """史赛克（Stryker）names one organisation once: merge a name and its bracketed twin."""
    merged: list[OrgMention] = []
    for mention in mentions:
        previous = merged[-1] if merged else None
        if (
            previous is not None
            and previous.key == mention.key
            and not sentence[previous.end : mention.start].strip(" （()）")
        ):
            closing = sentence[mention.end : mention.end + 1]
            end = mention.end + 1 if closing in ")）" and closing else mention.end
            merged[-1] = OrgMention(previous.start, end, previous.surface, previous.org)
            continue
        merged.append(mention)
    return merged


def _role_pattern(text: str, roles: dict[str, str], where: str) -> RolePattern:
    groups: dict[str, str] = {}

    def slot(match: re.Match[str]) -> str:
        name, many = match.group(1), match.group(2)
        groups[name] = roles[f"{name}{many}"]
        if many:
            return rf"(?P<{name}>⟨\d+⟩(?:{_LIST_JOINER}⟨\d+⟩)*)"
        return rf"(?P<{name}>⟨\d+⟩)"

    try:
        regex = re.compile(re.sub(r"\{([A-Z])(\+?)\}", slot, text), re.IGNORECASE)
    except (re.error, KeyError) as problem:
        raise ValueError(f"{where}: bad role pattern {text!r}: {problem}") from None
    return RolePattern(regex, groups)
