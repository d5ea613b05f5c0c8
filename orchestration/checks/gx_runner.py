"""Run one Great Expectations suite from `expectations/suites/` against a pandas frame.

Great Expectations 1.x cannot validate DuckDB through its SQL datasource, so every suite
validates a pandas frame prepared from DuckDB (see `frames.py`). Suites are plain JSON files
without generated ids, loaded with `gx.ExpectationSuite(**json)` into one ephemeral context per
process. Great Expectations imports slowly, so it is imported on first use, never at module load.

Large frames are validated in batches of `batch_rows` rows and the results combined; the few
expectations that need the whole column at once (uniqueness, table-level expectations) run once
on the full frame restricted to the columns they name.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import math
import os
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from orchestration.config import EXPECTATIONS_DIR

SUITES_DIR = EXPECTATIONS_DIR / "suites"
DEFAULT_BATCH_ROWS = 1_000_000
SAMPLE_SIZE = 5

# Expectations whose outcome depends on rows outside one batch: evaluated on the whole frame.
_WHOLE_FRAME_TYPES = frozenset(
    {
        "expect_column_values_to_be_unique",
        "expect_compound_columns_to_be_unique",
        "expect_column_unique_value_count_to_be_between",
        "expect_column_proportion_of_unique_values_to_be_between",
    }
)
_COLUMN_KWARGS = ("column", "column_A", "column_B", "column_list")

_context_lock = threading.Lock()


@dataclass(frozen=True)
class ExpectationFailure:
    """One failed expectation: what was expected, on which columns, and a few offending rows."""

    expectation_type: str
    columns: tuple[str, ...]
    unexpected_count: int | None
    element_count: int | None
    sample: tuple[Any, ...] = ()
    rule: str | None = None
    exception: str | None = None

    @property
    def label(self) -> str:
        """The expectation named with its columns, e.g. `expect_..._equal(status, expected)`."""
        return f"{self.expectation_type}({', '.join(self.columns)})"

    def as_dict(self) -> dict[str, Any]:
        return {
            "expectation": self.label,
            "expectation_type": self.expectation_type,
            "columns": list(self.columns),
            "unexpected_count": self.unexpected_count,
            "element_count": self.element_count,
            "sample": list(self.sample),
            "rule": self.rule,
            "exception": self.exception,
        }


@dataclass(frozen=True)
class SuiteResult:
    """Outcome of one suite over one prepared frame."""

    suite_name: str
    success: bool
    evaluated_expectations: int
    rows_validated: int
    batches: int
    duration_seconds: float
    failures: tuple[ExpectationFailure, ...] = ()
    error: str | None = None
    description: str = field(default="", compare=False)

    @property
    def failed_expectations(self) -> list[str]:
        return [failure.label for failure in self.failures]

    def summary(self) -> str:
        """One line per failure, naming the suite and the expectation (for logs and the CLI)."""
        if self.error is not None:
            return f"{self.suite_name}: could not run: {self.error}"
        if self.success:
            return (
                f"{self.suite_name}: passed ({self.evaluated_expectations} expectations, "
                f"{self.rows_validated} rows)"
            )
        lines = [f"{self.suite_name}: FAILED"]
        for failure in self.failures:
            detail = (
                f"error: {failure.exception}"
                if failure.exception
                else f"{failure.unexpected_count} unexpected"
            )
            lines.append(
                f"  - {failure.label}: {detail}; sample {json.dumps(list(failure.sample))}"
            )
        return "\n".join(lines)


def suite_path(name: str) -> Path:
    return SUITES_DIR / f"{name}.json"


def load_suite_json(name: str) -> dict[str, Any]:
    """The suite's JSON document as stored in `expectations/suites/<name>.json`."""
    path = suite_path(name)
    if not path.is_file():
        raise FileNotFoundError(f"No expectation suite {name!r} at {path}")
    document = json.loads(path.read_text(encoding="utf-8"))
    if document.get("name") != name:
        raise ValueError(f"{path} holds suite {document.get('name')!r}, expected {name!r}")
    return document


def run_suite(
    name: str, frame: pd.DataFrame, *, batch_rows: int = DEFAULT_BATCH_ROWS
) -> SuiteResult:
    """Validate `frame` against suite `name`; failures carry up to five sample rows each."""
    if batch_rows < 1:
        raise ValueError("batch_rows must be at least 1")
    started = time.perf_counter()
    document = load_suite_json(name)
    meta = document.get("meta") or {}
    index_columns = [c for c in meta.get("index_columns", []) if c in frame.columns]
    frame = plain_dtypes(frame)
    if not frame.index.is_unique:  # sample rows are looked up by index label
        frame = frame.reset_index(drop=True)

    expectations: list[dict[str, Any]] = list(document.get("expectations", []))
    whole = [i for i, e in enumerate(expectations) if e["type"] in _WHOLE_FRAME_TYPES]
    batched = [i for i in range(len(expectations)) if i not in whole]

    outcomes: dict[int, _Outcome] = {}
    batches = 0
    if batched:
        for chunk in _chunks(frame, batch_rows):
            batches += 1
            chosen = [expectations[i] for i in batched]
            for position, result in _validate(document, chosen, chunk):
                expectation = expectations[batched[position]]
                outcomes.setdefault(batched[position], _Outcome()).add(
                    result, chunk, _sample_columns(expectation, chunk, index_columns)
                )
    for i in whole:
        columns = [c for c in _columns_of(expectations[i]) if c in frame.columns]
        subset = frame[list(dict.fromkeys([*columns, *index_columns]))] if columns else frame
        for _, result in _validate(document, [expectations[i]], subset):
            outcomes.setdefault(i, _Outcome()).add(
                result, subset, _sample_columns(expectations[i], subset, index_columns)
            )
        batches = max(batches, 1)
    for i in range(len(expectations)):  # fail closed if GX returned no result for one
        outcomes.setdefault(i, _Outcome(success=False, exception="expectation was not evaluated"))

    failures = tuple(
        outcomes[i].failure(expectations[i]) for i in sorted(outcomes) if not outcomes[i].success
    )
    return SuiteResult(
        suite_name=name,
        success=not failures,
        evaluated_expectations=len(expectations),
        rows_validated=len(frame),
        batches=batches,
        duration_seconds=round(time.perf_counter() - started, 3),
        failures=failures,
        description=str(meta.get("description", "")),
    )


def plain_dtypes(frame: pd.DataFrame) -> pd.DataFrame:
    """Replace pandas' nullable extension dtypes, which GX pair expectations cannot compare.

    Nullable integers become float64 (NaN for missing), nullable booleans become objects holding
    True/False/None; other columns are kept.
    """
    converted = {}
    for column in frame.columns:
        dtype = frame[column].dtype
        if isinstance(dtype, pd.BooleanDtype):
            values = frame[column]
            converted[column] = values.astype(object).where(values.notna(), None)
        elif isinstance(dtype, pd.api.extensions.ExtensionDtype) and (
            pd.api.types.is_integer_dtype(dtype) or pd.api.types.is_float_dtype(dtype)
        ):
            converted[column] = frame[column].astype("float64")
    if not converted:
        return frame
    return frame.assign(**converted)


# --------------------------------------------------------------------------------------------
# Internals


@dataclass
class _Outcome:
    """Results of one expectation combined over batches."""

    success: bool = True
    unexpected_count: int | None = None
    element_count: int | None = None
    sample: list[Any] = field(default_factory=list)
    exception: str | None = None

    def add(self, result: Any, frame: pd.DataFrame, sample_columns: list[str]) -> None:
        """Combine one batch's GX result; sample rows are read from `frame` (the batch) by the
        index labels GX reports, restricted to `sample_columns` (`_sample_columns`)."""
        self.success = self.success and bool(result.success)
        details = result.result or {}
        if details.get("unexpected_count") is not None:
            self.unexpected_count = (self.unexpected_count or 0) + int(details["unexpected_count"])
        if details.get("element_count") is not None:
            self.element_count = (self.element_count or 0) + int(details["element_count"])
        if not result.success and len(self.sample) < SAMPLE_SIZE:
            labels = details.get("partial_unexpected_index_list")
            if sample_columns and labels:
                rows = _rows_at(frame, labels[: SAMPLE_SIZE - len(self.sample)], sample_columns)
            else:
                rows = details.get("partial_unexpected_list")
            if not rows and details.get("observed_value") is not None:
                rows = [{"observed_value": details["observed_value"]}]
            for row in rows or []:
                if len(self.sample) >= SAMPLE_SIZE:
                    break
                self.sample.append(_jsonable(row))
        message = _exception_message(result.exception_info)
        if message and self.exception is None:
            self.exception = message
            self.success = False

    def failure(self, expectation: Mapping[str, Any]) -> ExpectationFailure:
        return ExpectationFailure(
            expectation_type=expectation["type"],
            columns=tuple(_columns_of(expectation)),
            unexpected_count=self.unexpected_count,
            element_count=self.element_count,
            sample=tuple(self.sample),
            rule=(expectation.get("meta") or {}).get("rule"),
            exception=self.exception,
        )


def _chunks(frame: pd.DataFrame, batch_rows: int) -> Iterator[pd.DataFrame]:
    if len(frame) <= batch_rows:
        yield frame
        return
    for start in range(0, len(frame), batch_rows):
        yield frame.iloc[start : start + batch_rows]


def _sample_columns(
    expectation: Mapping[str, Any], frame: pd.DataFrame, index_columns: list[str]
) -> list[str]:
    """The columns a sample row shows: the suite's index columns, then the expectation's own
    (none without index columns: the sample is then GX's list of unexpected values)."""
    if not index_columns:
        return []
    columns = [c for c in _columns_of(expectation) if c in frame.columns]
    return list(dict.fromkeys([*index_columns, *columns]))


def _rows_at(frame: pd.DataFrame, labels: list[Any], columns: list[str]) -> list[dict[str, Any]]:
    """The rows of `frame` at index `labels`, as {column: value} for `columns`."""
    return [{c: frame.at[label, c] for c in columns} for label in labels if label in frame.index]


def _validate(
    document: Mapping[str, Any],
    expectations: list[dict[str, Any]],
    frame: pd.DataFrame,
) -> list[tuple[int, Any]]:
    """Validate `expectations` on `frame`; (position in `expectations`, GX result) pairs.

    GX is not asked for the index columns of unexpected rows: it would look them up one row at
    a time for *every* unexpected row (≈ 60 µs each — 100 s for a suite failing on a third of
    3 M rows). It reports the index labels of the first few, and `_Outcome.add` reads the
    sample rows at those labels itself."""
    import great_expectations as gx

    suite = gx.ExpectationSuite(
        name=document["name"],
        expectations=[json.loads(json.dumps(e)) for e in expectations],
        meta=document.get("meta") or {},
    )
    result_format: dict[str, Any] = {
        "result_format": "SUMMARY",
        "partial_unexpected_count": SAMPLE_SIZE,
    }
    batch = _batch_definition().get_batch(batch_parameters={"dataframe": frame})
    validation = batch.validate(suite, result_format=result_format)
    signatures = [_signature(e["type"], e.get("kwargs", {})) for e in expectations]
    paired: list[tuple[int, Any]] = []
    for position, result in enumerate(validation.results):
        config = result.expectation_config
        signature = _signature(config.type, config.kwargs)
        if signature in signatures:
            position = signatures.index(signature)
        paired.append((position, result))
    return paired


_batch_definitions: list[Any] = []  # at most one: the process's whole-dataframe batch definition


def _batch_definition() -> Any:
    """One ephemeral GX context per process with a whole-dataframe batch definition."""
    with _context_lock:
        if not _batch_definitions:
            os.environ["GX_ANALYTICS_ENABLED"] = "false"
            import great_expectations as gx
            from great_expectations.data_context.types.base import ProgressBarsConfig
            from great_expectations.execution_engine import pandas_execution_engine

            # GX fingerprints every in-memory batch below this size (a hash of every value,
            # a quarter of the validation time here) only to label the batch; the frames are
            # ours and never reused, so skip it.
            pandas_execution_engine.HASH_THRESHOLD = 0

            context = gx.get_context(mode="ephemeral")
            context.variables.progress_bars = ProgressBarsConfig(globally=False)
            asset = context.data_sources.add_pandas("mart_frames").add_dataframe_asset("frame")
            _batch_definitions.append(asset.add_batch_definition_whole_dataframe("whole_frame"))
        return _batch_definitions[0]


def warm_up_in_background() -> threading.Thread:
    """Import Great Expectations and create its context in a background thread (≈ 6 s of
    Python), so the first check does not wait for it; a run starts this while the dbt process
    starts up (orchestration/dbt.py).
    A failure here is ignored: the first check creates the context itself and reports it."""

    def warm_up() -> None:
        with contextlib.suppress(Exception):
            _batch_definition()

    thread = threading.Thread(target=warm_up, name="gx-warm-up", daemon=True)
    thread.start()
    return thread


def _signature(expectation_type: str, kwargs: Mapping[str, Any]) -> str:
    clean = {k: v for k, v in kwargs.items() if k not in ("batch_id", "result_format")}
    return json.dumps([expectation_type, _jsonable(clean)], sort_keys=True, default=str)


def _columns_of(expectation: Mapping[str, Any]) -> list[str]:
    kwargs = expectation.get("kwargs", {})
    columns: list[str] = []
    for key in _COLUMN_KWARGS:
        value = kwargs.get(key)
        if isinstance(value, str):
            columns.append(value)
        elif isinstance(value, list):
            columns.extend(str(v) for v in value)
    return columns


def _exception_message(info: Any) -> str | None:
    """The message of an exception GX caught while evaluating an expectation, if any.

    `exception_info` is either one {raised_exception, exception_message, …} mapping or a mapping
    of metric ids to such mappings or to ExceptionInfo objects.
    """
    if not info:
        return None
    if not isinstance(info, Mapping):
        if getattr(info, "raised_exception", False):
            message = getattr(info, "exception_message", None)
            return str(message or "expectation raised an exception")
        return None
    if "raised_exception" in info:
        if info.get("raised_exception"):
            return str(info.get("exception_message") or "expectation raised an exception")
        return None
    for value in info.values():
        message = _exception_message(value)
        if message:
            return message
    return None


def _jsonable(value: Any) -> Any:
    """Turn GX/pandas/numpy values into plain JSON values (dates as ISO strings)."""
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, pd.Timestamp | np.datetime64):
        stamp = pd.Timestamp(value)
        if pd.isna(stamp):
            return None
        return stamp.date().isoformat() if stamp == stamp.normalize() else stamp.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return int(value) if value.is_integer() else value
    if isinstance(value, str | int | bool):
        return value
    return str(value)
