"""Run configuration: one place that turns environment variables into settings.

Every path and knob the pipeline uses is read here, so the CLI, the Dagster code location and
the tests agree. Precedence: explicit argument (CLI flag) > environment variable > default.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ENV_DBT_PROJECT_DIR = "JEUGDHULP_DBT_PROJECT_DIR"
# The dbt project the pipeline builds: the repository's own, or a copy named by
# JEUGDHULP_DBT_PROJECT_DIR (read once, when the package loads: the Dagster definitions are built
# from its manifest). A changed model can so be tried on a copy, as the blocking-check tests do
# (tests/test_saboteurs.py), without touching the repository's project.
DBT_PROJECT_DIR = Path(
    os.environ.get(ENV_DBT_PROJECT_DIR) or PROJECT_ROOT / "dbt_project"
).resolve()
EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"

ENV_LANDING = "JEUGDHULP_LANDING_DIR"
ENV_WAREHOUSE = "JEUGDHULP_WAREHOUSE"
ENV_WORKING_DB = "JEUGDHULP_WORKING_DB"
ENV_PUBLICATION_DB = "JEUGDHULP_PUBLICATION_DB"
ENV_PEILDATUM = "JEUGDHULP_PEILDATUM"
ENV_HMAC_KEY = "JEUGDHULP_HMAC_KEY"
ENV_HMAC_KEY_FILE = "JEUGDHULP_HMAC_KEY_FILE"
ENV_GAP_MONTHS = "JEUGDHULP_GAP_MONTHS"
ENV_SUPPRESSION = "JEUGDHULP_SUPPRESSION_THRESHOLD"
ENV_MIN_COVERAGE = "JEUGDHULP_MIN_COVERAGE"
ENV_QUARANTINE_THRESHOLD = "JEUGDHULP_QUARANTINE_THRESHOLD"
ENV_MEMORY_LIMIT = "JEUGDHULP_DUCKDB_MEMORY_LIMIT"
ENV_THREADS = "JEUGDHULP_DUCKDB_THREADS"
ENV_TEMP_DIR = "JEUGDHULP_DUCKDB_TEMP_DIR"
ENV_DBT_THREADS = "JEUGDHULP_DBT_THREADS"
ENV_DBT_UNIT_TESTS = "JEUGDHULP_DBT_UNIT_TESTS"
ENV_FULL_REBUILD = "JEUGDHULP_FULL_REBUILD"
TRUE_FLAGS = ("true", "1", "yes")
FALSE_FLAGS = ("false", "0", "no")
"""How a true/false setting (environment variable or run tag) may be written, lower case."""
FULL_REBUILD_TAG = "jeugdhulp/full_rebuild"
"""A run tagged `jeugdhulp/full_rebuild: true` rebuilds in full whatever JEUGDHULP_FULL_REBUILD
says (the weekly schedule run, or a run launched so from the Dagster UI)."""

DEFAULT_LANDING = PROJECT_ROOT / "data" / "landing"
DEFAULT_WAREHOUSE = PROJECT_ROOT / "data" / "warehouse" / "jeugdhulp.duckdb"

# Marker file the generator writes into a landing folder it produced. Only such a folder may
# run with the built-in demo HMAC key (DEFINITIONS §7: the key comes from configuration).
GENERATED_MARKER = "_GENERATED_DEMO_DATA.json"
DEMO_HMAC_KEY = "jeugdhulp-demo-key-not-for-real-data"


class ConfigError(ValueError):
    """A setting is missing or invalid; the message says which and how to fix it."""


def _parse_date(value: str, name: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise ConfigError(f"{name}={value!r} is not a date in YYYY-MM-DD form") from exc


@dataclass(frozen=True)
class Settings:
    landing_dir: Path = DEFAULT_LANDING
    warehouse: Path = DEFAULT_WAREHOUSE
    working_db: Path | None = None
    peildatum: dt.date = field(default_factory=dt.date.today)
    gap_months: int = 6
    suppression_threshold: int = 5
    # DEFINITIONS §7: below this share of known facts an indicator cell is `insufficient`.
    min_coverage: float = 0.8
    quarantine_threshold: float = 0.05
    memory_limit: str = "6GB"
    threads: int = 2
    temp_directory: Path | None = None
    # dbt runs this many models at once (each a DuckDB query on `threads` threads).
    dbt_threads: int = 2
    # dbt unit tests check the SQL against hand-computed cases: they do not depend on the
    # delivered data, so production runs skip them (CI runs them, tests/test_dbt_unit_tests.py).
    dbt_unit_tests: bool = False
    # Read every landing file again and build every mart from nothing, instead of reusing the
    # landed rows of unchanged files and the unchanged months of the published monthly fact
    # (docs/INCREMENTAL.md). The results are the same; a full rebuild only takes longer.
    full_rebuild: bool = False

    @property
    def working_db_path(self) -> Path:
        """The working (write-audit) database; never read by analysts."""
        if self.working_db is not None:
            return self.working_db
        return self.warehouse.parent / f".{self.warehouse.stem}.working.duckdb"

    @property
    def publication_db_path(self) -> Path:
        """The next publication: dbt builds the marts into this file (attached to the working
        database as `publication`); once every check passed it is renamed over the warehouse,
        so it lives beside it (a rename within one file system is atomic)."""
        return self.warehouse.parent / f".{self.warehouse.stem}.publication.duckdb"

    @property
    def export_dir(self) -> Path:
        """Parquet export of the published marts, kept beside the warehouse."""
        return self.warehouse.parent / f"{self.warehouse.stem}_parquet"

    @property
    def report_path(self) -> Path:
        """The indicator report (HTML), kept beside the warehouse."""
        return self.warehouse.parent / f"{self.warehouse.stem}_report.html"

    def with_overrides(self, **kwargs: object) -> Settings:
        clean = {k: v for k, v in kwargs.items() if v is not None}
        return replace(self, **clean)

    def dbt_vars(self) -> dict[str, object]:
        """The dbt vars of this run. The peildatum is not among them: dbt reads it from
        JEUGDHULP_PEILDATUM (`export_env`; dbt_project/macros/peildatum.sql says why)."""
        return {
            "trajectory_gap_months": self.gap_months,
            "suppression_threshold": self.suppression_threshold,
            "min_coverage": self.min_coverage,
        }

    def duckdb_config(self) -> dict[str, str]:
        cfg = {"memory_limit": self.memory_limit, "threads": str(self.threads)}
        if self.temp_directory is not None:
            cfg["temp_directory"] = str(self.temp_directory)
        return cfg

    def export_env(self) -> None:
        """Publish the settings to the environment so dbt's profile and Dagster see them."""
        os.environ[ENV_LANDING] = str(self.landing_dir)
        os.environ[ENV_WAREHOUSE] = str(self.warehouse)
        os.environ[ENV_WORKING_DB] = str(self.working_db_path)
        os.environ[ENV_PUBLICATION_DB] = str(self.publication_db_path)
        os.environ[ENV_PEILDATUM] = self.peildatum.isoformat()
        os.environ[ENV_GAP_MONTHS] = str(self.gap_months)
        os.environ[ENV_SUPPRESSION] = str(self.suppression_threshold)
        os.environ[ENV_MIN_COVERAGE] = str(self.min_coverage)
        os.environ[ENV_QUARANTINE_THRESHOLD] = str(self.quarantine_threshold)
        os.environ[ENV_MEMORY_LIMIT] = self.memory_limit
        os.environ[ENV_THREADS] = str(self.threads)
        os.environ[ENV_DBT_THREADS] = str(self.dbt_threads)
        os.environ[ENV_DBT_UNIT_TESTS] = "true" if self.dbt_unit_tests else "false"
        os.environ[ENV_FULL_REBUILD] = "true" if self.full_rebuild else "false"
        if self.temp_directory is not None:
            os.environ[ENV_TEMP_DIR] = str(self.temp_directory)


def full_rebuild_requested(settings: Settings, run_tags: Mapping[str, str]) -> bool:
    """Whether this run reads every file again and builds every mart from nothing."""
    tagged = run_tags.get(FULL_REBUILD_TAG, "").strip().lower() in TRUE_FLAGS
    return settings.full_rebuild or tagged


def load_settings(env: dict[str, str] | None = None) -> Settings:
    """Settings from the environment (see README, "Configuration")."""
    env = dict(os.environ if env is None else env)
    kwargs: dict[str, object] = {}
    if env.get(ENV_LANDING):
        kwargs["landing_dir"] = Path(env[ENV_LANDING]).expanduser().resolve()
    if env.get(ENV_WAREHOUSE):
        kwargs["warehouse"] = Path(env[ENV_WAREHOUSE]).expanduser().resolve()
    if env.get(ENV_WORKING_DB):
        kwargs["working_db"] = Path(env[ENV_WORKING_DB]).expanduser().resolve()
    if env.get(ENV_PEILDATUM):
        kwargs["peildatum"] = _parse_date(env[ENV_PEILDATUM], ENV_PEILDATUM)
    for name, key, cast in (
        (ENV_GAP_MONTHS, "gap_months", int),
        (ENV_SUPPRESSION, "suppression_threshold", int),
        (ENV_MIN_COVERAGE, "min_coverage", float),
        (ENV_QUARANTINE_THRESHOLD, "quarantine_threshold", float),
        (ENV_THREADS, "threads", int),
        (ENV_DBT_THREADS, "dbt_threads", int),
    ):
        if env.get(name):
            try:
                kwargs[key] = cast(env[name])
            except ValueError as exc:
                raise ConfigError(f"{name}={env[name]!r} is not a valid {cast.__name__}") from exc
    if env.get(ENV_MEMORY_LIMIT):
        kwargs["memory_limit"] = env[ENV_MEMORY_LIMIT]
    if env.get(ENV_TEMP_DIR):
        kwargs["temp_directory"] = Path(env[ENV_TEMP_DIR])
    for name, key in ((ENV_DBT_UNIT_TESTS, "dbt_unit_tests"), (ENV_FULL_REBUILD, "full_rebuild")):
        if env.get(name):
            flag = env[name].strip().lower()
            if flag not in TRUE_FLAGS + FALSE_FLAGS:
                raise ConfigError(f"{name}={env[name]!r} is not true/false")
            kwargs[key] = flag in TRUE_FLAGS
    settings = Settings(**kwargs)  # type: ignore[arg-type]
    if settings.threads < 1 or settings.dbt_threads < 1:
        raise ConfigError(f"{ENV_THREADS} and {ENV_DBT_THREADS} must be at least 1")
    if settings.gap_months < 1:
        raise ConfigError(f"{ENV_GAP_MONTHS} must be at least 1")
    if not 0 <= settings.min_coverage <= 1:
        raise ConfigError(f"{ENV_MIN_COVERAGE} must be a fraction between 0 and 1")
    if not 0 <= settings.quarantine_threshold <= 1:
        raise ConfigError(f"{ENV_QUARANTINE_THRESHOLD} must be a fraction between 0 and 1")
    return settings


def is_generated_landing(landing_dir: Path) -> bool:
    return (landing_dir / GENERATED_MARKER).is_file()


def resolve_hmac_key(landing_dir: Path, env: dict[str, str] | None = None) -> tuple[bytes, bool]:
    """The HMAC key for client keys, and whether it is the demo key.

    Order: JEUGDHULP_HMAC_KEY, then the file named by JEUGDHULP_HMAC_KEY_FILE. Without either,
    only a landing folder made by `jeugdhulp generate` may run, on the demo key (with a warning).
    """
    env = dict(os.environ if env is None else env)
    if env.get(ENV_HMAC_KEY):
        key = env[ENV_HMAC_KEY].encode("utf-8")
    elif env.get(ENV_HMAC_KEY_FILE):
        path = Path(env[ENV_HMAC_KEY_FILE]).expanduser()
        if not path.is_file():
            raise ConfigError(f"{ENV_HMAC_KEY_FILE}={path} does not exist")
        key = path.read_bytes().strip()
    elif is_generated_landing(landing_dir):
        return DEMO_HMAC_KEY.encode("utf-8"), True
    else:
        raise ConfigError(
            f"No HMAC key configured for client keys, and {landing_dir} is not generated demo "
            f"data. Set {ENV_HMAC_KEY} (or {ENV_HMAC_KEY_FILE} pointing at a file outside the "
            "repository) to a secret of at least 16 characters."
        )
    if len(key) < 16:
        raise ConfigError("The HMAC key must be at least 16 bytes long")
    return key, False
