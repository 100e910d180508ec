"""``field__any=ids``: membership in a collection of integer ids, bound as one array on PostgreSQL.

``field__in=ids`` writes one parameter per value into the query's text: a
department head's desk filters on the ids of a thousand projects, and
PostgreSQL parses and plans a thousand literals in every query that uses
them (more than the subquery that found them costs to run again).
``= ANY(%s::bigint[])`` sends the same ids as one array literal, parsed
once. Elsewhere (SQLite) it is ``IN``. An empty list matches nothing, as
``__in`` does.

The ids are best given as a ``frozenset`` (or any iterable but a list or a
tuple): Django walks a list or a tuple value item by item to resolve it, as
an expression might hide among its items, and a desk's thousand ids cost
it more than the query.
"""

from __future__ import annotations

from typing import Any

from django.db.models import ForeignObject, IntegerField, Lookup
from django.db.models.lookups import In


class AnyOf(Lookup):
    lookup_name = "any"
    prepare_rhs = False

    def get_prep_lookup(self) -> Any:
        if isinstance(self.rhs, (str, bytes)):  # iterable, but not a collection of ids
            raise TypeError("__any takes a collection of ids, not a string.")
        return sorted(int(value) for value in self.rhs)

    def as_sql(self, compiler: Any, connection: Any) -> Any:
        if connection.vendor != "postgresql" or not self.rhs:
            return In(self.lhs, self.rhs).as_sql(compiler, connection)
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s::bigint[])", (*lhs_params, "{" + ",".join(map(str, self.rhs)) + "}")


def register() -> None:
    """Make ``__any`` available on integer fields (ids) and foreign keys (``ApmConfig.ready``)."""
    IntegerField.register_lookup(AnyOf)
    ForeignObject.register_lookup(AnyOf)
