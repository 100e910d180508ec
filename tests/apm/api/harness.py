"""The API harness's shared parts: the operations of the schema, who may use each, and real path parameters.

Both the schemathesis suite and the access sweep discover the endpoints from the schema, so an endpoint a domain
adds is covered with no edit here. The operations are read at collection time from drf-spectacular's generator
(the same one ``/api/schema/`` serves; no database is needed for it), and the tests compare that list with the
live schema, fetched with a token.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.urls import resolve

from apm.api.permissions import ClientContact, Internal

#: Who an operation is for, from its view's gate: the internal team, client contacts (the portal), everyone.
INTERNAL, PORTAL, EVERYONE = "internal", "portal", "everyone"
METHODS = ("get", "post", "put", "patch", "delete")
PARAMETER = re.compile(r"\{([^}]+)\}")


@dataclass(frozen=True)
class Operation:
    """One operation of the schema: its method (upper case), path template, audience and whether it has a body."""

    method: str
    path: str
    audience: str
    has_body: bool

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def is_list(self) -> bool:
        """A GET without path parameters: a list of rows (paginated)."""
        return self.method == "GET" and not PARAMETER.search(self.path)


def audience_of(path: str) -> str:
    """Who the view behind ``path`` (a template) lets in, from its permission classes."""
    view = resolve(PARAMETER.sub("x", path)).func
    gates = getattr(getattr(view, "cls", None), "permission_classes", None) or []
    if any(issubclass(gate, ClientContact) for gate in gates):
        return PORTAL
    if any(issubclass(gate, Internal) for gate in gates):
        return INTERNAL
    return EVERYONE


def operations_of(raw: dict[str, Any]) -> list[Operation]:
    """Every operation of a schema document, in its order."""
    found = []
    for path, item in raw.get("paths", {}).items():
        for method in METHODS:
            if method in item:
                found.append(Operation(method.upper(), path, audience_of(path), "requestBody" in item[method]))
    return found


def generated_schema() -> dict[str, Any]:
    """The schema as ``/api/schema/`` serves it, straight from the generator (for collection time)."""
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


def collected_operations() -> list[Operation]:
    """The operations at collection time; none (and the tests say why) when the URLconf does not import."""
    try:
        return operations_of(generated_schema())
    except Exception:
        return []


def may_use(role_audience: str, operation: Operation) -> bool:
    """Whether a person of ``role_audience`` (INTERNAL or PORTAL) is let in by ``operation``'s gate."""
    return operation.audience in (EVERYONE, role_audience)


#: Path parameters no list names, by name: a project's code is ALPHA-1's in the test worlds.
KNOWN = {"code": "ALPHA-1", "project_code": "ALPHA-1", "project": "ALPHA-1"}


def rows(client: Any, url: str) -> list[dict[str, Any]]:
    """The rows of a list URL's first page as ``client`` reads it (a page of ``results``, or a bare list)."""
    response = client.get(url)
    if response.status_code != 200:
        return []
    body = response.json()
    if isinstance(body, dict):
        body = body.get("results", [])
    return [row for row in body if isinstance(row, dict)] if isinstance(body, list) else []


def value_in(row: dict[str, Any], name: str) -> Any:
    """``row[name]``, else the value of ``name`` in an object inside the row (a row wrapping its comment)."""
    if row.get(name) is not None:
        return row[name]
    return next(
        (value[name] for value in row.values() if isinstance(value, dict) and value.get(name) is not None), None
    )


def real_path_parameters(client: Any, path: str) -> dict[str, str] | None:
    """Values for ``path``'s parameters that exist for ``client``'s person: each from the first row (or an object in
    it) of the list at the path before it (``/deliverables/{id}/`` takes the first deliverable's ``id``), else
    :data:`KNOWN`; ``None`` when the person sees no such row."""
    values: dict[str, str] = {}
    for match in PARAMETER.finditer(path):
        name = match.group(1)
        prefix = path[: match.start()]
        listed = [found for row in rows(client, prefix.format(**values)) if (found := value_in(row, name)) is not None]
        if listed:
            values[name] = str(listed[0])
        elif name in KNOWN:
            values[name] = KNOWN[name]
        else:
            return None
    return values


def first_row(client: Any, path: str) -> dict[str, Any] | None:
    """The first row of the list ``path`` belongs to (the path up to its first parameter), as ``client`` reads it."""
    collection = path.split("{", 1)[0]
    found = rows(client, collection)
    return found[0] if found else None


def _resolved(raw: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with its ``$ref`` (or first ``allOf``/``oneOf`` that is not null) followed."""
    for _ in range(5):
        if "$ref" in schema:
            schema = raw["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
        elif schema.get("allOf") or schema.get("oneOf"):
            options: list[dict[str, Any]] = schema.get("allOf") or schema["oneOf"]
            schema = next((option for option in options if option.get("type") != "null"), options[0])
        else:
            break
    return schema


def _plain_value(raw: dict[str, Any], schema: dict[str, Any]) -> Any:
    """A value of ``schema`` that its validation is likely to take (the first choice, a date, one, a word)."""
    schema = _resolved(raw, schema)
    if schema.get("enum"):
        return next(value for value in schema["enum"] if value not in ("", None))
    kind = str(schema.get("type"))
    if kind == "string":
        if schema.get("format") == "date":
            return "2025-03-10"
        if schema.get("format") == "date-time":
            return "2025-03-10T09:00:00Z"
        if "\\d" in schema.get("pattern", ""):
            return "1.00"
        return "Harness"
    return {"integer": 1, "number": 1, "boolean": False, "array": [], "object": {}}.get(kind)


def plain_body(raw: dict[str, Any], operation: Operation, row: dict[str, Any] | None) -> dict[str, Any]:
    """A body for a write ``operation``: each field of its request schema that the row read before it has, with the
    row's value (a copy of an existing row is a valid one, mostly; its blanks left out), and the other required ones
    with a plain value (a choice the row does not hold already: a move to another state)."""
    content = raw["paths"][operation.path][operation.method.lower()]["requestBody"]["content"]
    media = content.get("application/json") or next(iter(content.values()))
    schema = _resolved(raw, media.get("schema", {}))
    properties = schema.get("properties", {})
    body: dict[str, Any] = {}
    for name, prop in properties.items():
        prop_schema = _resolved(raw, prop)
        if row is not None and name in row and (row[name] is not None or prop.get("nullable")):
            value = row[name]
            if prop_schema.get("type") == "array" and isinstance(value, list):
                value = [item for item in value if not isinstance(item, dict)]
            if value in ("", None) and name not in schema.get("required", []):
                continue  # a blank left out: a service may refuse a field that does not apply (an issue's plan)
            if not isinstance(value, dict):
                body[name] = value
                continue
        if name in schema.get("required", []):
            choices = [value for value in prop_schema.get("enum") or [] if value not in (row or {}).values()]
            body[name] = next((value for value in choices if value not in ("", None)), None) or _plain_value(raw, prop)
    return body


def seed_more(world: Any) -> None:
    """What the access world lacks for every list to have a row: an allocation and a skill of the team member on
    ALPHA-1, and a week of their time submitted (so the PM and the head, who approve it, see an entry)."""
    import datetime as dt
    from decimal import Decimal

    from projects.budget.services.approval import timesheet_week_submit
    from projects.budget.services.costs import time_entry_record
    from tests import factories

    factories.AllocationFactory(project=world.project, member=world.person)
    factories.MemberSkillFactory(member=world.person, skill=factories.SkillFactory(name="Surveying"))
    monday = dt.date(2025, 3, 10)
    time_entry_record(member=world.person, project=world.project, date=monday, hours=Decimal("2"))
    timesheet_week_submit(member=world.person, week_start=monday)
