"""Which blocking checks a publication passed, kept with it (docs/INCREMENTAL.md, "The checks").

A check that passes on the next publication says so in a small file beside it
(`<publication>.passed/<check>.json`): the checks' version, the peildatum, the gap months and
the identity of the publication file it read (device, inode, size, modification time).
Publishing copies the passes whose identity is still the file's into `meta.checks_passed` of
the published warehouse. The next run's checks may then validate only what changed since
(orchestration/checks/scope.py): the published marts are known to pass them as a whole.

A publication published without its checks (a subset of the assets selected in Dagster)
carries no pass, so the next run checks everything. `prepare_publication` removes the passes
with the file they were about.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import os
import shutil
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path

import duckdb

from orchestration.config import EXPECTATIONS_DIR, PROJECT_ROOT
from orchestration.sql import quote_ident, table_exists

PASSED_TABLE = "checks_passed"  # in schema meta of the published warehouse
DBT_TESTS_PASS = "dbt_data_tests"
"""The pass the dbt step records when its build, data tests included, succeeded on the
publication: the publish step requires it beside the suites' (a publication left on disk by a
build whose data test failed is never published)."""
CHECKS_CODE = PROJECT_ROOT / "orchestration" / "checks"


@dataclass(frozen=True)
class CheckPass:
    check: str
    version: str
    peildatum: dt.date
    gap_months: int
    publication: str = ""  # identity of the file the check read; not published

    def as_json(self) -> str:
        return json.dumps(asdict(self) | {"peildatum": self.peildatum.isoformat()})

    @classmethod
    def from_json(cls, text: str) -> CheckPass:
        data = json.loads(text)
        return cls(**(data | {"peildatum": dt.date.fromisoformat(data["peildatum"])}))


@functools.cache
def checks_version() -> str:
    """A SHA-256 of everything that decides a check's verdict on given marts: the suites, the
    code that prepares and validates their frames, this module, and the versions of the
    libraries that evaluate them. Another version checks everything once. Computed once per
    process: it describes the code this process loaded (each check asked it twice)."""
    digest = hashlib.sha256()
    files = sorted(EXPECTATIONS_DIR.glob("suites/*.json")) + sorted(CHECKS_CODE.glob("*.py"))
    files.append(Path(__file__))
    for path in files:
        digest.update(str(path.relative_to(PROJECT_ROOT)).encode())
        digest.update(path.read_bytes())
    for package in ("great_expectations", "pandas", "numpy", "duckdb"):
        digest.update(f"{package}=={metadata.version(package)}".encode())
    return digest.hexdigest()


def file_identity(path: Path) -> str:
    """Device, inode, size and modification time: a file replaced or written since differs."""
    st = os.stat(path)
    return f"{st.st_dev}:{st.st_ino}:{st.st_size}:{st.st_mtime_ns}"


def passes_dir(publication_db: Path) -> Path:
    publication_db = Path(publication_db)
    return publication_db.with_name(publication_db.name + ".passed")


def record_pass(
    publication_db: Path,
    check: str,
    *,
    peildatum: dt.date,
    gap_months: int,
    version: str,
    identity: str | None = None,
) -> Path:
    """Say that `check` passed on the publication file as it was when the check began reading
    it (`identity`; default: as it is now). Changed since, the pass counts for nothing."""
    folder = passes_dir(publication_db)
    folder.mkdir(parents=True, exist_ok=True)
    identity = file_identity(publication_db) if identity is None else identity
    record = CheckPass(check, version, peildatum, gap_months, identity)
    path = folder / f"{check}.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(record.as_json(), encoding="utf-8")
    os.replace(tmp, path)
    return path


def record_dbt_tests_pass(publication_db: Path, *, peildatum: dt.date, gap_months: int) -> Path:
    """Say that the dbt build of the publication, data tests included, succeeded."""
    return record_pass(
        publication_db,
        DBT_TESTS_PASS,
        peildatum=peildatum,
        gap_months=gap_months,
        version=checks_version(),
    )


def current_passes(publication_db: Path) -> list[CheckPass]:
    """The passes recorded for the publication file as it is now (others are stale)."""
    folder = passes_dir(publication_db)
    if not folder.is_dir() or not Path(publication_db).is_file():
        return []
    identity = file_identity(publication_db)
    passes = []
    for path in sorted(folder.glob("*.json")):
        try:
            record = CheckPass.from_json(path.read_text(encoding="utf-8"))
        except (ValueError, KeyError, TypeError):
            continue  # a torn or foreign file proves nothing
        if record.publication == identity:
            passes.append(record)
    return passes


def clear_passes(publication_db: Path) -> None:
    shutil.rmtree(passes_dir(publication_db), ignore_errors=True)


def write_passed_table(con: duckdb.DuckDBPyConnection, passes: list[CheckPass]) -> None:
    """`meta.checks_passed` of a publication about to be published (no file identities)."""
    con.execute("CREATE SCHEMA IF NOT EXISTS meta")
    con.execute(
        f"CREATE OR REPLACE TABLE meta.{PASSED_TABLE} "
        "(blocking_check VARCHAR, version VARCHAR, peildatum DATE, gap_months INTEGER)"
    )
    for record in passes:
        con.execute(
            f"INSERT INTO meta.{PASSED_TABLE} VALUES (?, ?, ?, ?)",
            [record.check, record.version, record.peildatum, record.gap_months],
        )


def published_pass(con: duckdb.DuckDBPyConnection, catalog: str, check: str) -> CheckPass | None:
    """The pass of `check` recorded in the warehouse attached to `con` as `catalog`."""
    if not table_exists(con, "meta", PASSED_TABLE, catalog=catalog):
        return None
    rows = con.execute(
        f"SELECT version, peildatum, gap_months FROM {quote_ident(catalog)}.meta.{PASSED_TABLE} "
        "WHERE blocking_check = ?",
        [check],
    ).fetchall()
    if len(rows) != 1:
        return None
    version, peildatum, gap_months = rows[0]
    return CheckPass(check, version, peildatum, int(gap_months))
