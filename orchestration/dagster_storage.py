"""Dagster's SQLite instance storage, with the event log's connections kept open.

The stock `SqliteEventLogStorage` creates a new SQLAlchemy engine and SQLite connection for
every event it stores, and closes them again (`NullPool`). A pipeline run stores ≈ 600 events
(every dbt model and test is a materialization or an asset check: planned, output, evaluation),
most of them twice (the run's own database and the cross-run index): on a regional run that
was ≈ 10 s of CPU in the run's process, ≈ 3 s with the connections kept.

`PooledSqliteEventLogStorage` keeps one engine (with its small connection pool) per database
file for the most recently used files, and disposes of the others. The files, their layout and
their schema are Dagster's own: an instance without this class (the Dagster UI on a default
`dagster.yaml`, an older checkout) reads the same history. Every statement still runs in its
own transaction, so other processes (the UI, the daemon) see each event as soon as it is
stored; SQLite takes its locks per transaction, not per open connection.

`JeugdhulpSqliteStorage` is Dagster's default SQLite storage (`storage: sqlite:`) with this event
log; `.dagster_home/dagster.yaml` selects it:

    storage:
      custom:
        module: orchestration.dagster_storage
        class: JeugdhulpSqliteStorage
        config:
          base_dir:
            env: DAGSTER_HOME

It relies on `SqliteEventLogStorage` internals (`_connect`, `_initdb`, `_db_lock`) of the pinned
Dagster version; tests/test_dagster_storage.py fails if they change.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from dagster._core.storage.base_storage import DagsterStorage
from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    SQLITE_BUSY_TIMEOUT_SECONDS,
    SqliteEventLogStorage,
)
from dagster._core.storage.runs.sqlite.sqlite_run_storage import SqliteRunStorage
from dagster._core.storage.schedules.sqlite.sqlite_schedule_storage import SqliteScheduleStorage
from dagster._core.storage.sql import create_engine
from dagster._core.storage.sqlite_storage import (
    DagsterSqliteStorage,
    _event_logs_directory,
    _runs_directory,
    _schedule_directory,
)
from dagster._serdes import ConfigurableClassData
from sqlalchemy.engine import Connection, Engine

OPEN_DATABASES = 8
"""Event-log database files (one per run, plus the index) whose engine stays open. A run writes
to two; the UI reads a few at a time. Older ones are disposed of (their file handles closed)."""


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """SqliteEventLogStorage that keeps the engines of the last OPEN_DATABASES files open."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None) -> None:
        # set before the parent's __init__, which already connects (index migrations)
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        super().__init__(base_dir, inst_data)

    @classmethod
    def from_config_value(
        cls, inst_data: ConfigurableClassData | None, config_value: Any
    ) -> PooledSqliteEventLogStorage:
        return cls(inst_data=inst_data, **config_value)

    def open_databases(self) -> list[str]:
        """The shards (run ids, `index`) whose engine is open, least recently used first."""
        with self._db_lock:
            return list(self._engines)

    def _engine(self, shard: str) -> Engine:
        """The shard's engine (created on first use); called with `_db_lock` held."""
        engine = self._engines.get(shard)
        if engine is not None:
            self._engines.move_to_end(shard)
            return engine
        engine = create_engine(
            self.conn_string_for_shard(shard),
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS},
        )
        self._engines[shard] = engine
        while len(self._engines) > OPEN_DATABASES:
            _, oldest = self._engines.popitem(last=False)
            oldest.dispose()
        return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:  # type: ignore[override]
        # As the parent's _connect (one lock, one transaction per use), minus the new engine.
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def dispose(self) -> None:
        with self._db_lock:
            while self._engines:
                self._engines.popitem()[1].dispose()
        super().dispose()


class JeugdhulpSqliteStorage(DagsterSqliteStorage):
    """Dagster's SQLite storage (runs, event log, schedules under `base_dir`, the same layout
    as `storage: sqlite:`), with PooledSqliteEventLogStorage as its event log."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None) -> None:
        # DagsterSqliteStorage.__init__ with the other event log (calling it would open and
        # migrate the stock event log first, only to drop it)
        self.base_dir = base_dir
        self._run_storage = SqliteRunStorage.from_local(_runs_directory(base_dir))
        self._event_log_storage = PooledSqliteEventLogStorage(_event_logs_directory(base_dir))
        self._schedule_storage = SqliteScheduleStorage.from_local(_schedule_directory(base_dir))
        self._inst_data = inst_data
        DagsterStorage.__init__(self)

    @classmethod
    def from_config_value(  # type: ignore[override]
        cls, inst_data: ConfigurableClassData, config_value: Any
    ) -> JeugdhulpSqliteStorage:
        return cls.from_local(inst_data=inst_data, **config_value)
