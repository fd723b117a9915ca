"""`field__any=values`: `field = ANY(%s)`, the values bound as one array parameter.

For the long lists of batch processing (500 event ids, 500 external ids) `__in` costs more
than the query it builds: Django prepares every value and adds a placeholder for each, the
driver parses a statement text that differs with every length and quotes the values one by
one. One array parameter keeps the statement text the same for any number of values.
Registered on every field (clients.apps)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import EmptyResultSet
from django.db.models import Lookup

if TYPE_CHECKING:
    _Lookup = Lookup[Any]  # generic only in the type stubs
else:
    _Lookup = Lookup


class AnyOf(_Lookup):
    lookup_name = "any"
    prepare_rhs = False

    def get_db_prep_lookup(self, value: Any, connection: Any) -> tuple[str, list[Any]]:
        return "%s", [list(value)]

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        if not self.rhs:
            raise EmptyResultSet  # as `__in=[]`: no query, or none of the condition
        lhs_sql, lhs_params = self.process_lhs(compiler, connection)
        rhs_sql, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs_sql} = ANY({rhs_sql})", [*lhs_params, *rhs_params]
