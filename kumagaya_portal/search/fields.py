"""A column of character n-grams: text[] with a GIN index on PostgreSQL, ' a b c ' text on SQLite.

`grams__has_all=[...]` is true when every gram is present: `@>` on PostgreSQL
(answered from the GIN index), LIKE '% g %' on SQLite.
"""

from django.db import models
from django.db.models import Lookup


def _is_postgres(connection) -> bool:
    return connection.vendor == "postgresql"


class GramsField(models.Field):
    description = "character n-grams"

    def db_type(self, connection):
        return "text[]" if _is_postgres(connection) else "text"

    def get_internal_type(self):
        return "GramsField"

    def rel_db_type(self, connection):
        return self.db_type(connection)

    def to_python(self, value):
        if value is None:
            return []
        if isinstance(value, str):
            return value.split()
        return list(value)

    def from_db_value(self, value, expression, connection):
        return self.to_python(value)

    def get_db_prep_value(self, value, connection, prepared=False):
        grams = self.to_python(value)
        if _is_postgres(connection):
            return grams
        return f" {' '.join(grams)} " if grams else " "


@GramsField.register_lookup
class HasAll(Lookup):
    lookup_name = "has_all"
    prepare_rhs = False

    def get_db_prep_lookup(self, value, connection):
        return ("%s", [value])

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        grams = sorted(set(self.rhs))
        if not grams:
            return "1 = 1", []
        if _is_postgres(connection):
            return f"{lhs} @> %s::text[]", [*lhs_params, grams]
        clauses, params = [], list(lhs_params)
        for gram in grams:
            escaped = gram.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            clauses.append(f"{lhs} LIKE %s ESCAPE '\\'")
            params.append(f"% {escaped} %")
        return "(" + " AND ".join(clauses) + ")", params
