"""Every table's row count and a checksum of its rows, to tell whether two
databases hold the same data: a restore is checked by comparing the restored
database's fingerprint with the original's (docs/deployment.md, *Backups*;
.ci/restore_drill). Rows are compared whole, in no particular order: every
table, history, permission and access-log tables included.

    manage.py database_fingerprint --output original.json
    DATABASE_URL=…restored… manage.py database_fingerprint --compare original.json

Prints counts and checksums only, never a row.
"""

import hashlib
import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction


def _quoted(table: str) -> str:
    return connection.ops.quote_name(table)


def table_fingerprint(table: str) -> dict:
    """{"rows": n, "checksum": hex} of one table: on PostgreSQL the md5 of the
    sorted md5s of its rows' text (computed by the database, nothing read
    out); elsewhere the same over the rows read in Python."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"SELECT count(*), md5(coalesce(string_agg(h, '' ORDER BY h), '')) "  # noqa: S608  # nosec B608
                f"FROM (SELECT md5(t::text) AS h FROM {_quoted(table)} t) rows"
            )
            count, checksum = cursor.fetchone()
            return {"rows": count, "checksum": checksum}
        cursor.execute(f"SELECT * FROM {_quoted(table)}")  # noqa: S608  # nosec B608
        hashes = sorted(
            hashlib.md5(repr(row).encode(), usedforsecurity=False).hexdigest()
            for row in cursor.fetchall()
        )
        return {
            "rows": len(hashes),
            "checksum": hashlib.md5("".join(hashes).encode(), usedforsecurity=False).hexdigest(),
        }


def database_fingerprint() -> dict[str, dict]:
    """Every table of the database (Django's and every other one), by name,
    all read from one snapshot: on a database in use, rows written while the
    tables are read one after another would otherwise count in some and not
    in others (pg_dump reads one snapshot too)."""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        tables = sorted(connection.introspection.table_names(include_views=False))
        return {table: table_fingerprint(table) for table in tables}


def differences(original: dict[str, dict], restored: dict[str, dict]) -> list[str]:
    found = []
    for table in sorted(set(original) | set(restored)):
        before, after = original.get(table), restored.get(table)
        if before is None:
            found.append(f"{table}: only in the restored database")
        elif after is None:
            found.append(f"{table}: missing from the restored database")
        elif before["rows"] != after["rows"]:
            found.append(f"{table}: {before['rows']} rows, {after['rows']} restored")
        elif before["checksum"] != after["checksum"]:
            found.append(f"{table}: {before['rows']} rows whose contents differ")
    return found


class Command(BaseCommand):
    help = (
        "Row counts and checksums of every table, to compare a restored database with its original."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", metavar="FILE", help="Write the fingerprint (JSON) here.")
        parser.add_argument(
            "--compare",
            metavar="FILE",
            help="Compare with a fingerprint written by --output; fail on any difference.",
        )

    def handle(self, *args, **options):
        fingerprint = database_fingerprint()
        rows = sum(each["rows"] for each in fingerprint.values())
        if options["output"]:
            Path(options["output"]).write_text(json.dumps(fingerprint, indent=1, sort_keys=True))
        if options["compare"]:
            original = json.loads(Path(options["compare"]).read_text())
            found = differences(original, fingerprint)
            if found:
                raise CommandError(
                    f"{len(found)} of {len(original)} tables differ:\n" + "\n".join(found)
                )
            self.stdout.write(
                f"{len(fingerprint)} tables, {rows} rows: the same as {options['compare']}"
            )
            return
        self.stdout.write(f"{len(fingerprint)} tables, {rows} rows")
