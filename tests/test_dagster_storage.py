"""The project's Dagster instance storage (orchestration/dagster_storage.py): Dagster's SQLite
files, written through pooled connections, readable by a stock instance at any moment."""

from __future__ import annotations

import shutil
from pathlib import Path

from dagster import (
    AssetCheckResult,
    AssetKey,
    DagsterInstance,
    asset,
    asset_check,
    materialize,
)

from orchestration.dagster_storage import OPEN_DATABASES, PooledSqliteEventLogStorage

ROOT = Path(__file__).resolve().parents[1]
PROJECT_YAML = ROOT / ".dagster_home" / "dagster.yaml"


@asset
def counted() -> int:
    return 3


@asset_check(asset=counted, blocking=True)
def counted_is_positive() -> AssetCheckResult:
    return AssetCheckResult(passed=True, metadata={"rows": 3})


def _project_home(tmp_path: Path) -> Path:
    home = tmp_path / "project_home"
    home.mkdir()
    shutil.copy(PROJECT_YAML, home / "dagster.yaml")
    return home


def _stock_home(tmp_path: Path, base_dir: Path) -> Path:
    """A home whose dagster.yaml is Dagster's default SQLite storage on the same files."""
    home = tmp_path / "stock_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(
        f"telemetry:\n  enabled: false\nstorage:\n  sqlite:\n    base_dir: {base_dir}\n"
    )
    return home


def _event_types(instance: DagsterInstance, run_id: str) -> list[str]:
    return [
        r.event_log_entry.dagster_event.event_type_value
        for r in instance.get_records_for_run(run_id, limit=1000).records
        if r.event_log_entry.dagster_event is not None
    ]


def test_project_instance_uses_the_pooled_event_log(tmp_path: Path, monkeypatch) -> None:
    home = _project_home(tmp_path)
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    with DagsterInstance.get() as instance:
        assert isinstance(instance.event_log_storage, PooledSqliteEventLogStorage)
        # Dagster's own layout under DAGSTER_HOME, so the UI's history is where it was
        assert Path(instance.event_log_storage._base_dir) == home / "history" / "runs"
    assert (home / "history" / "runs.db").is_file()


def test_a_stock_instance_reads_what_the_pooled_one_wrote_while_it_is_open(
    tmp_path: Path, monkeypatch
) -> None:
    home = _project_home(tmp_path)
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    with DagsterInstance.get() as pooled:
        result = materialize([counted, counted_is_positive], instance=pooled)
        assert result.success
        written = _event_types(pooled, result.run_id)
        # read by another instance before the pooled one closes its connections
        with DagsterInstance.from_config(str(_stock_home(tmp_path, home))) as stock:
            assert type(stock.event_log_storage).__name__ == "SqliteEventLogStorage"
            assert _event_types(stock, result.run_id) == written
            assert "ASSET_CHECK_EVALUATION" in written and "ASSET_MATERIALIZATION" in written
            latest = stock.get_latest_materialization_event(AssetKey("counted"))
            assert latest is not None and latest.run_id == result.run_id
            [run] = stock.get_runs()
            assert run.run_id == result.run_id


def test_only_the_most_recently_used_databases_stay_open(tmp_path: Path) -> None:
    storage = PooledSqliteEventLogStorage(str(tmp_path / "runs"))
    try:
        shards = [f"run-{i}" for i in range(OPEN_DATABASES + 3)]
        for shard in shards:
            with storage.run_connection(shard) as conn:
                conn.exec_driver_sql("select 1")
        assert storage.open_databases() == shards[-OPEN_DATABASES:]
        # a database whose engine was disposed of opens again, and becomes the most recent
        with storage.run_connection(shards[0]) as conn:
            assert conn.exec_driver_sql("select count(*) from event_logs").scalar() == 0
        assert storage.open_databases()[-1] == shards[0]
        assert len(storage.open_databases()) == OPEN_DATABASES
    finally:
        storage.dispose()
    assert storage.open_databases() == []
