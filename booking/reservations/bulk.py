"""Many reservations at once on PostgreSQL (the national data set, benches): COPY.

One COPY statement per batch, so that the statement-level calendar triggers bump each room's
and officer's calendar once per batch rather than once per row (a row-by-row bump keeps
every version of those rows until the transaction ends, and each insert gets slower).
"""

import itertools
from collections.abc import Iterable, Sequence


def copy_reservations(
    connection, columns: Sequence[str], rows: Iterable[tuple], *, batch: int
) -> None:
    """COPY ``rows`` (values of ``columns``) into reservation, ``batch`` rows a statement."""
    statement = f"COPY reservation ({', '.join(columns)}) FROM STDIN"
    rows = iter(rows)
    with connection.connection.driver_connection.cursor() as cursor:
        for first in iter(lambda: next(rows, None), None):
            with cursor.copy(statement) as copy:
                copy.write_row(first)
                for row in itertools.islice(rows, batch - 1):
                    copy.write_row(row)
