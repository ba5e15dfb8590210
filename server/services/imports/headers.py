"""The columns and values HR writes, in English or Chinese, and the table a file holds.

Each column has an English name (what the API and the reports use) and the Chinese one a
clerk types; a header may mix them, in any case, with spaces, a BOM or full-width forms
(NFKC). Values too: 员工/主管 for a role, 中文/英文 for a language, 白班/夜班 for the two
12-hour shifts the kiosks record as `day` and `night` (so an imported shift replaces the
kiosk's record of the same shift instead of standing beside it).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from server.models import Language, Role
from server.services.imports.files import LIMITS, Cells, Limits, file_lines
from server.services.imports.messages import N_, Message, joined
from server.services.refusals import Refused


@dataclass(frozen=True)
class Column:
    name: str  # the English name: what the rows are keyed by, and the API's field name
    chinese: str
    required: bool = True


WORKER_COLUMNS = (Column("code", "工号"), Column("name", "姓名"), Column("workshop", "车间"),
                  Column("role", "角色"), Column("language", "语言"),
                  Column("card", "卡号", required=False))
PRODUCTION_COLUMNS = (Column("date", "日期"), Column("shift", "班次"),
                      Column("worker_code", "工号"), Column("machine_code", "设备"),
                      Column("planned_minutes", "计划分钟"), Column("run_minutes", "运行分钟"),
                      Column("output", "产量"), Column("defects", "次品"))
CARD_COLUMNS = (Column("worker_code", "工号"), Column("card", "卡号"))
# A metrics file names a worker or a machine on each row (services/metrics/values.py).
METRIC_COLUMNS = (Column("date", "日期"), Column("shift", "班次"),
                  Column("worker_code", "工号", required=False),
                  Column("machine_code", "设备", required=False),
                  Column("metric", "指标"), Column("value", "数值"))

_INVISIBLE = dict.fromkeys(map(ord, "\ufeff\u200b\u200c\u200d\u2060"))


def _key(text: str) -> str:
    """A header or value as compared: NFKC, no BOM or zero-width marks, case folded,
    inner spaces and hyphens as one underscore."""
    text = unicodedata.normalize("NFKC", text).translate(_INVISIBLE).strip().casefold()
    return re.sub(r"[\s\-_]+", "_", text)


# --- values ----------------------------------------------------------------------------

ROLES: Mapping[str, Role] = {
    **{_key(role.value): role for role in Role},
    "员工": Role.WORKER, "工人": Role.WORKER, "普工": Role.WORKER,
    "主管": Role.SUPERVISOR, "班组长": Role.SUPERVISOR, "组长": Role.SUPERVISOR,
    "班长": Role.SUPERVISOR,
}
ROLE_CHOICES = "worker (员工), supervisor (主管)"

_LANGUAGE_WORDS = {
    "zh_cn": "zh_CN", "zh": "zh_CN", "zh_hans": "zh_CN", "chinese": "zh_CN", "中文": "zh_CN",
    "汉语": "zh_CN", "普通话": "zh_CN", "简体中文": "zh_CN",
    "en": "en", "english": "en", "英文": "en", "英语": "en",
    "yue": "yue", "yue_hk": "yue", "yue_hant": "yue", "zh_hk": "yue", "cantonese": "yue",
    "粤语": "yue", "廣東話": "yue", "广东话": "yue", "粵語": "yue", "广州话": "yue",
    "廣州話": "yue", "白话": "yue", "白話": "yue",
}
_OFFERED = {language.value for language in Language}
LANGUAGES: Mapping[str, Language] = {word: Language(value) for word, value
                                     in _LANGUAGE_WORDS.items() if value in _OFFERED}
# Words for a language the kiosks do not speak yet: a bad row that says so.
NOT_YET = frozenset(word for word, value in _LANGUAGE_WORDS.items() if value not in _OFFERED)
LANGUAGE_CHOICES = ", ".join(
    f"{value} ({word})" for value, word in (("zh_CN", "中文"), ("en", "英文"), ("yue", "粤语"))
    if value in _OFFERED)

_SHIFTS = {"白班": "day", "day": "day", "夜班": "night", "night": "night"}


def role(value: object) -> Role | None:
    """The role a cell names, None when it names none; an empty cell is a worker."""
    return Role.WORKER if value is None else ROLES.get(_key(str(value)))


def language(value: object) -> Language | str | None:
    """The language a cell names (an empty one is Chinese); "not yet" for a language the
    kiosks do not speak yet; None when it names none."""
    if value is None:
        return Language.ZH_CN
    word = _key(str(value))
    if word in NOT_YET:
        return "not yet"
    return LANGUAGES.get(word)


def shift(value: object) -> object:
    """白班/夜班 (or Day/NIGHT) as the kiosks' `day`/`night`; any other shift as it is."""
    if isinstance(value, str):
        return _SHIFTS.get(_key(value), value)
    return value


# --- the header and the table ------------------------------------------------------------

Line = tuple[int, dict[str, object]]


@dataclass(frozen=True)
class Table:
    """A file's data rows as (line, {column: value}); `labels` names each column as the
    file's header wrote it, so a bad row's reason names the column HR sees."""

    rows: list[Line]
    labels: dict[str, str]
    present: frozenset[str] = frozenset()  # the columns the header has

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[Line]:
        return iter(self.rows)


def _label(cell: object) -> str:
    return unicodedata.normalize("NFKC", str(cell)).translate(_INVISIBLE).strip()


def _names(columns: Sequence[Column]) -> dict[str, str]:
    names = {}
    for column in columns:
        names[_key(column.name)] = column.name
        names[_key(column.chinese)] = column.name
    return names


def expected(columns: Sequence[Column]) -> Message:
    """The header a file should have, in both languages."""
    return Message(N_("%(english)s or %(chinese)s"),
                   english=",".join(c.name for c in columns if c.required),
                   chinese=",".join(c.chinese for c in columns if c.required))


def _check_header(name: str, line: int, cells: Cells, columns: Sequence[Column]
                  ) -> dict[str, int]:
    """Where each column is; Refused naming every problem with the header."""
    names = _names(columns)
    written = ["" if c is None else str(c) for c in cells]
    positions: dict[str, int] = {}
    unknown: list[str] = []
    repeated: list[str] = []
    for index, text in enumerate(written):
        if not _key(text):
            continue
        column = names.get(_key(text))
        if column is None:
            unknown.append(text.strip())
        elif column in positions:
            repeated.append(text.strip())
        else:
            positions[column] = index
    missing = [c.name for c in columns if c.required and c.name not in positions]
    if not (missing or unknown or repeated):
        return positions
    problems = []
    if missing:
        problems.append(Message(N_("missing column(s) %(columns)s"), columns=", ".join(missing)))
    if unknown:
        problems.append(Message(N_("unknown column(s) %(columns)s"), columns=", ".join(unknown)))
    if repeated:
        problems.append(Message(N_("repeated column(s) %(columns)s"),
                                columns=", ".join(repeated)))
    named = [t for t in written if _key(t)]
    if len(named) == 1 and any(sep in named[0] for sep in ";\t"):
        problems.append(Message(N_("the columns must be separated by commas")))
    raise Refused(N_("%(file)s: line %(line)s (header): %(problems)s; expected %(expected)s"),
                  file=name, line=line, problems=joined(problems), expected=expected(columns))


def _rows(lines: Iterator[tuple[int, Cells]]) -> Iterator[tuple[int, Cells]]:
    return ((line, cells) for line, cells in lines if any(c is not None for c in cells))


def read_table(data: bytes, name: str, columns: Sequence[Column | str],
               limits: Limits = LIMITS) -> Table:
    """The file's data rows as (line, {column: value}), after checking the header.

    The header is the first non-blank row; its names are matched in English or Chinese,
    ignoring case, spaces and a BOM; unnamed columns are ignored; an optional column may
    be left out (its value is then None). Blank rows are skipped. More than `limits.rows`
    data rows, or a row wider than `limits.columns`, refuses the file.
    """
    wanted = [c if isinstance(c, Column) else Column(c, c) for c in columns]
    rows = _rows(file_lines(data, name, limits))
    first = next(rows, None)
    if first is None:
        raise Refused(N_("%(file)s is empty"), file=name)
    header_line, header = first
    positions = _check_header(name, header_line, header, wanted)
    labels = {c.name: _label(header[positions[c.name]]) if c.name in positions else c.name
              for c in wanted}
    table: list[Line] = []
    for line, cells in rows:
        if len(table) >= limits.rows:
            raise Refused(N_("%(file)s has more than %(rows)s rows; split it into smaller "
                             "files"), file=name, rows=limits.rows)
        table.append((line, {c.name: cells[positions[c.name]]
                             if c.name in positions and positions[c.name] < len(cells)
                             else None for c in wanted}))
    return Table(table, labels, frozenset(positions))
