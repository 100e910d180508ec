"""Read the O*NET 29.2 text files (tab-separated, CRLF; see ../shared/data/real/SOURCES.md).

* ``Content Model Reference.txt``: rows ``2.A.n``/``2.B.n`` are the 7 skill
  groups (categories), rows ``2.A.n.x``/``2.B.n.x`` the 35 generic skills.
* ``Technology Skills.txt``: one row per occupation and technology
  (``Example``) with its commodity (``Commodity Code``, ``Commodity Title``):
  a technology becomes a skill in the category of its commodity. A
  technology listed under several commodities goes to the one it is listed
  under most often (ties: the title first in alphabetical order).
* ``Occupation Data.txt``: occupations (``O*NET-SOC Code``, ``Title``,
  ``Description``), imported as job roles.

O*NET 29.2 Database by the U.S. Department of Labor, Employment and
Training Administration (USDOL/ETA), used under CC BY 4.0.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from apm import tabular

CONTENT_MODEL = "Content Model Reference.txt"
TECHNOLOGY = "Technology Skills.txt"
OCCUPATIONS = "Occupation Data.txt"
FILES = (CONTENT_MODEL, TECHNOLOGY, OCCUPATIONS)

_GROUP = re.compile(r"^2\.[AB]\.\d+$")
_SKILL = re.compile(r"^2\.[AB]\.\d+\.[a-z]+$")


class OnetFormatError(ValueError):
    """A file is missing or does not have the expected columns."""


@dataclass(frozen=True)
class CategoryRow:
    name: str
    kind: str  # "onet_skill" or "onet_technology"
    source_code: str
    description: str = ""


@dataclass(frozen=True)
class SkillRow:
    name: str
    category: str
    source_code: str = ""
    description: str = ""
    hot_technology: bool = False


@dataclass(frozen=True)
class RoleRow:
    code: str
    title: str
    description: str


@dataclass
class OnetCatalogue:
    categories: list[CategoryRow] = field(default_factory=list)
    skills: list[SkillRow] = field(default_factory=list)
    roles: list[RoleRow] = field(default_factory=list)


def _rows(path: Path, required: tuple[str, ...]) -> list[dict[str, str]]:
    """Rows of a tab-separated O*NET file as dicts, every header column present (blank when a line is short).

    Read by ``apm.tabular`` (the encoding detected; quotes are text in these
    files). Raises OnetFormatError for a missing or unreadable file, NUL
    characters, an empty file or missing columns; the message names the file
    and, when there is one, the line.
    """
    if not path.is_file():
        raise OnetFormatError(f"No such file: {path}")
    try:
        table = tabular.read_table(path, delimiter="\t", quoting=False)
    except tabular.TableError as exc:
        raise OnetFormatError(str(exc).replace(str(path), path.name, 1)) from exc
    header = [name.strip() for name in table.header]
    missing = [name for name in required if name not in header]
    if missing:
        raise OnetFormatError(f"{path.name} lacks the column(s) {', '.join(missing)}.")
    rows = []
    for row in table.rows:
        if any("\x00" in cell for cell in row.cells):
            raise OnetFormatError(f"{path.name}, line {row.line} contains NUL characters: not a text file.")
        cells = [cell.strip() for cell in row.cells]
        # A short line (a stray line break inside a cell) gets blanks for its missing columns, never a KeyError.
        cells += [""] * (len(header) - len(cells))
        rows.append(dict(zip(header, cells, strict=False)))
    return rows


def read_onet(directory: Path) -> OnetCatalogue:
    """The skill groups, skills, technology categories and occupations in ``directory``.

    Skill names are unique regardless of case (the first seen wins: generic
    skills before technologies, technologies in name order). Raises
    OnetFormatError for a missing file or column, a NUL character, or a blank
    or too long name or code (nothing is written then).
    """
    catalogue = OnetCatalogue()
    for row in _rows(directory / CONTENT_MODEL, ("Element ID", "Element Name", "Description")):
        code = row["Element ID"]
        if _GROUP.match(code):
            catalogue.categories.append(
                CategoryRow(
                    name=row["Element Name"], kind="onet_skill", source_code=code, description=row["Description"]
                )
            )
    groups = {category.source_code: category.name for category in catalogue.categories}
    for row in _rows(directory / CONTENT_MODEL, ("Element ID", "Element Name", "Description")):
        code = row["Element ID"]
        if _SKILL.match(code):
            group = groups.get(code.rsplit(".", 1)[0])
            if group is None:
                raise OnetFormatError(f"{CONTENT_MODEL}: skill {code} has no group row.")
            catalogue.skills.append(
                SkillRow(name=row["Element Name"], category=group, source_code=code, description=row["Description"])
            )

    tech_rows = _rows(directory / TECHNOLOGY, ("Example", "Commodity Code", "Commodity Title", "Hot Technology"))
    commodities: dict[str, str] = {}
    listed: dict[str, Counter[str]] = defaultdict(Counter)
    hot: dict[str, bool] = defaultdict(bool)
    for row in tech_rows:
        name, title = row.get("Example", ""), row.get("Commodity Title", "")
        if not name or not title:
            continue
        commodities.setdefault(title, row.get("Commodity Code", ""))
        listed[name][title] += 1
        hot[name] = hot[name] or row.get("Hot Technology", "") == "Y"
    for title in sorted(commodities):
        catalogue.categories.append(CategoryRow(name=title, kind="onet_technology", source_code=commodities[title]))
    seen = {skill.name.casefold() for skill in catalogue.skills}
    for name in sorted(listed):
        if name.casefold() in seen:
            continue
        seen.add(name.casefold())
        category = min(listed[name].items(), key=lambda item: (-item[1], item[0]))[0]
        catalogue.skills.append(SkillRow(name=name, category=category, hot_technology=hot[name]))

    for row in _rows(directory / OCCUPATIONS, ("O*NET-SOC Code", "Title", "Description")):
        if row["O*NET-SOC Code"] and row["Title"]:
            catalogue.roles.append(
                RoleRow(code=row["O*NET-SOC Code"], title=row["Title"], description=row["Description"])
            )
    _check_sizes(catalogue)
    return catalogue


#: The longest names and codes the catalogue's tables hold (teams.models: SkillCategory, Skill, JobRole).
NAME_MAX = 200
CODE_MAX = 20


def _check_sizes(catalogue: OnetCatalogue) -> None:
    """Raise OnetFormatError for a blank, too long or repeated name or code (the database would refuse it)."""
    # Technology commodities and examples come from the technology file, the rest from the content model.
    technology = [c for c in catalogue.categories if c.kind == "onet_technology"]
    groups = [c for c in catalogue.categories if c.kind != "onet_technology"]
    values = [(CONTENT_MODEL, "Element Name", c.name, NAME_MAX) for c in groups]
    values += [(CONTENT_MODEL, "Element ID", c.source_code, CODE_MAX) for c in groups]
    values += [(TECHNOLOGY, "Commodity Title", c.name, NAME_MAX) for c in technology]
    values += [(TECHNOLOGY, "Commodity Code", c.source_code, CODE_MAX) for c in technology]
    values += [(CONTENT_MODEL, "Element Name", s.name, NAME_MAX) for s in catalogue.skills if s.source_code]
    values += [(CONTENT_MODEL, "Element ID", s.source_code, CODE_MAX) for s in catalogue.skills if s.source_code]
    values += [(TECHNOLOGY, "Example", s.name, NAME_MAX) for s in catalogue.skills if not s.source_code]
    values += [(OCCUPATIONS, "Title", r.title, NAME_MAX) for r in catalogue.roles]
    values += [(OCCUPATIONS, "O*NET-SOC Code", r.code, CODE_MAX) for r in catalogue.roles]
    for file_name, column, value, limit in values:
        if len(value) > limit:
            raise OnetFormatError(f"{file_name}: a {column} is longer than {limit} characters: {value[:40]!r}…")
    # The database holds each category and skill name, and each occupation code, once (regardless of case).
    for file_name, label, names in (
        (
            f"{CONTENT_MODEL} / {TECHNOLOGY}",
            "skill group or technology category",
            [c.name for c in catalogue.categories],
        ),
        (f"{CONTENT_MODEL} / {TECHNOLOGY}", "skill", [s.name for s in catalogue.skills]),
        (OCCUPATIONS, "O*NET-SOC Code", [r.code for r in catalogue.roles]),
    ):
        seen: set[str] = set()
        for name in names:
            if name.casefold() in seen:
                raise OnetFormatError(f"{file_name}: the {label} {name[:40]!r} appears twice.")
            seen.add(name.casefold())
    for category in catalogue.categories:
        if not category.name:
            raise OnetFormatError(f"{CONTENT_MODEL}: skill group {category.source_code} has no name.")
    for skill in catalogue.skills:
        if not skill.name:
            raise OnetFormatError(f"{CONTENT_MODEL}: skill {skill.source_code} has no name.")
