"""``field__any=ids``: membership in a collection of integer ids, bound as one array on PostgreSQL.

``field__in=ids`` writes one parameter per value into the query's text: a
department head's desk filters on the ids of a thousand projects, and
PostgreSQL parses and plans a thousand literals in every query that uses
them (more than the subquery that found them costs to run again).
``= ANY((SELECT %s::bigint[])::bigint[])`` sends the same ids as one array
literal, parsed once. The array is the value of a subquery rather than a
constant so that the planner cannot look into it: given a constant array,
PostgreSQL estimated each of a thousand ids against the column's statistics
while planning, and the five lists of a head's desk, asked in one query,
took 2.8 ms to plan and 7 ms to run against 0.6 and 0.1 (EXPLAIN ANALYZE at
943 ids); it now plans as for a few ids (an index scan of each) and runs the
subquery once. Elsewhere (SQLite) it is ``IN``. An empty list matches
nothing, as ``__in`` does.

The ids are best given as a ``frozenset`` (or any iterable but a list or a
tuple): Django walks a list or a tuple value item by item to resolve it, as
an expression might hide among its items, and a desk's thousand ids cost
it more than the query.
"""

from __future__ import annotations

from typing import Any

from django.db.models import ForeignObject, IntegerField, Lookup
from django.db.models.lookups import In

#: The frozensets of ids given lately, each sorted and as PostgreSQL's array literal: a head's desk filters
#: seven queries on the same thousand ids.
_PREPARED: dict[frozenset[Any], tuple[list[int], str]] = {}
PREPARED_KEPT = 32


def _prepared(values: Any) -> tuple[list[int], str]:
    """``values`` as sorted ints and as an array literal (kept for a frozenset, which cannot change)."""
    found = _PREPARED.get(values) if isinstance(values, frozenset) else None
    if found is None:
        ids = sorted(int(value) for value in values)
        found = (ids, "{" + ",".join(map(str, ids)) + "}")
        if isinstance(values, frozenset):
            if len(_PREPARED) >= PREPARED_KEPT:
                _PREPARED.clear()
            _PREPARED[values] = found
    return found


class AnyOf(Lookup):
    lookup_name = "any"
    prepare_rhs = False

    def get_prep_lookup(self) -> Any:
        if isinstance(self.rhs, (str, bytes)):  # iterable, but not a collection of ids
            raise TypeError("__any takes a collection of ids, not a string.")
        ids, self.array = _prepared(self.rhs)
        return ids

    def as_sql(self, compiler: Any, connection: Any) -> Any:
        if connection.vendor != "postgresql" or not self.rhs:
            return In(self.lhs, self.rhs).as_sql(compiler, connection)
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY((SELECT %s::bigint[])::bigint[])", (*lhs_params, self.array)


def register() -> None:
    """Make ``__any`` available on integer fields (ids) and foreign keys (``ApmConfig.ready``)."""
    IntegerField.register_lookup(AnyOf)
    ForeignObject.register_lookup(AnyOf)
