"""Baseline (a): trajectories and re-entries in plain pandas, as an analyst would write it.

Reads the allocation files of a landing folder with pandas, keeps the versions that pass the
§2 row rules (exact duplicates once, conflicting versions out), takes the latest version per
allocation, drops withdrawn ones and products that are not jeugdhulp (§3), and then walks each
client's allocations in a Python loop applying the six-month rule with `pandas.DateOffset`
(DEFINITIONS §4). Declarations do not take part in trajectories, so they are not read.

Independent of the pipeline's code on purpose (only the client key, §7, is shared): where both
agree, the agreement means something.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pandas as pd

from orchestration.config import DBT_PROJECT_DIR
from orchestration.ingest.hashing import client_key
from orchestration.ingest.validate import legacy_codes_without_successor

COLUMNS = (
    "toewijzingnummer",
    "gemeentecode",
    "aanbieder_agb",
    "bsn",
    "geboortedatum",
    "productcategorie",
    "productcode",
    "ingangsdatum",
    "einddatum",
    "toewijzingsdatum",
    "volume",
    "eenheid",
    "frequentie",
    "reden_wijziging",
    "verwijzer_type",
    "reden_beeindiging",
    "dagtekening",
)
REQUIRED = (
    "toewijzingnummer",
    "gemeentecode",
    "aanbieder_agb",
    "bsn",
    "productcategorie",
    "ingangsdatum",
)
DATES = ("geboortedatum", "ingangsdatum", "einddatum", "toewijzingsdatum", "dagtekening")
DIGITS = {"gemeentecode": 4, "aanbieder_agb": 8, "productcategorie": 2, "bsn": 9}
# REFERENCE_DATA: a 2015 category without a successor in the seed (38) is quarantined; the
# other 2015 codes (31–37) map to jeugdhulp categories, so they count as jeugdhulp as delivered.
# Read from the seed, like the product catalogue below.
LEGACY_WITHOUT_SUCCESSOR = legacy_codes_without_successor()
NOT_JEUGDHULP = ("42", "47", "48", "49")  # §3: transport and the justice categories
EARLIEST = dt.date(2015, 1, 1)  # Jeugdwet
CATALOGUE = DBT_PROJECT_DIR / "seeds" / "product_catalogue.csv"
ONE_DAY = pd.Timedelta(days=1)
OUTPUT_COLUMNS = [
    "client_key",
    "trajectory_seq",
    "gemeentecode",
    "start_date",
    "end_date",
    "status",
    "is_reentry",
    "gap_days",
]


def allocation_files(landing: Path) -> list[Path]:
    """The allocation files in sorted path order (the order that decides "later file")."""
    folder = Path(landing) / "allocations"
    found = [
        p
        for p in folder.rglob("*")
        if p.is_file()
        and p.suffix.lower() in (".csv", ".parquet")
        and not any(part.startswith(".") for part in p.relative_to(landing).parts)
    ]
    return sorted(found, key=lambda p: p.relative_to(landing).as_posix())


def _clean(values: pd.Series) -> pd.Series:
    text = values.astype("str").str.strip()
    return text.mask(text == "")


def read_file(path: Path) -> pd.DataFrame:
    if path.suffix.lower() == ".parquet":
        frame = pd.read_parquet(path)
        for name in frame.columns:
            if pd.api.types.is_datetime64_any_dtype(frame[name]):
                frame[name] = frame[name].dt.strftime("%Y-%m-%d")
    else:
        with path.open(encoding="utf-8-sig") as fh:
            header = fh.readline()
        sep = ";" if header.count(";") > header.count(",") else ","
        frame = pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    out = pd.DataFrame(index=frame.index)
    for name in COLUMNS:
        if name in frame.columns:
            out[name] = _clean(frame[name])
        else:
            out[name] = pd.Series(pd.NA, index=frame.index, dtype="str")
    out["source_row"] = range(1, len(frame) + 1)
    return out


def read_allocations(landing: Path) -> pd.DataFrame:
    frames = []
    for seq, path in enumerate(allocation_files(landing), start=1):
        frame = read_file(path)
        frame["file_seq"] = seq
        frames.append(frame)
    if not frames:
        return pd.DataFrame(columns=[*COLUMNS, "source_row", "file_seq"])
    return pd.concat(frames, ignore_index=True)


def _iso(value: str) -> dt.date | None:
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        return None
    return day if day.isoformat() == value else None


def _elfproef(bsn: str) -> bool:
    weights = (9, 8, 7, 6, 5, 4, 3, 2, -1)
    return (
        bsn != "000000000" and sum(w * int(d) for w, d in zip(weights, bsn, strict=True)) % 11 == 0
    )


def _whole_number(value: str) -> bool:
    text = value[1:] if value[:1] in "+-" else value
    return text.isascii() and text.isdigit() and -(2**63) <= int(value) < 2**63


def _plausible(values: pd.Series, latest: dt.date, *, birth: bool = False) -> pd.Series:
    """True where the value is empty or an existing ISO date in the §2 range."""
    present = values.dropna()
    days = {v: _iso(v) for v in present.unique()}
    ok = {v: d is not None and (birth or d >= EARLIEST) and d <= latest for v, d in days.items()}
    return values.isna() | values.map(ok).eq(True)


def valid_versions(frame: pd.DataFrame, peildatum: dt.date) -> pd.DataFrame:
    """The allocation versions that load: each exact duplicate once, rows passing the §2 row
    rules, and no conflicting versions (same allocation and dagtekening, other content)."""
    canonical = frame[list(COLUMNS)].copy()
    number = pd.to_numeric(canonical["volume"], errors="coerce")
    canonical["volume"] = number.astype("str").where(number.notna(), canonical["volume"])
    frame = frame[~canonical.duplicated(keep="first")]

    try:
        latest = peildatum.replace(year=peildatum.year + 5)
    except ValueError:  # 29 February
        latest = peildatum.replace(year=peildatum.year + 5, day=28)
    ok = pd.Series(True, index=frame.index)
    for name in REQUIRED:
        ok &= frame[name].notna()
    for name in DATES:
        ok &= _plausible(frame[name], latest, birth=name == "geboortedatum")
    for name, width in DIGITS.items():
        ok &= frame[name].isna() | frame[name].str.fullmatch(f"[0-9]{{{width}}}").eq(True)
    ok &= ~frame["productcategorie"].isin(LEGACY_WITHOUT_SUCCESSOR)
    bsn = {b: _elfproef(b) for b in frame["bsn"].dropna().unique() if re.fullmatch("[0-9]{9}", b)}
    ok &= frame["bsn"].map(bsn).eq(True)
    volume = {v: _whole_number(v) for v in frame["volume"].dropna().unique()}
    ok &= frame["volume"].isna() | frame["volume"].map(volume).eq(True)
    versions = frame[ok]

    key = ["gemeentecode", "toewijzingnummer", "dagtekening"]
    dated = versions[versions["dagtekening"].notna()]
    clashes = dated.groupby(key).size()
    clashes = clashes[clashes > 1].reset_index()[key]
    if len(clashes):
        marked = versions.merge(clashes.assign(conflict=True), on=key, how="left")
        versions = versions[marked["conflict"].isna().to_numpy()]
    return versions


def _jeugdhulp(effective: pd.DataFrame) -> pd.Series:
    """§3: the catalogue's counts_as_jeugdhulp (productcode, else the category's first row),
    else every category but 42, 47, 48 and 49."""
    catalogue = pd.read_csv(CATALOGUE, dtype=str, keep_default_na=False)
    flag = catalogue["counts_as_jeugdhulp"].str.lower() == "true"
    exact = dict(
        zip(
            zip(catalogue["productcategorie"], catalogue["productcode"], strict=True),
            flag,
            strict=True,
        )
    )
    first = (
        catalogue.assign(flag=flag).sort_values("productcode").drop_duplicates("productcategorie")
    )
    default = dict(zip(first["productcategorie"], first["flag"], strict=True))
    result = []
    for category, code in zip(effective["productcategorie"], effective["productcode"], strict=True):
        if (category, code) in exact:
            result.append(exact[(category, code)])
        elif category in default:
            result.append(default[category])
        else:
            result.append(category not in NOT_JEUGDHULP)
    return pd.Series(result, index=effective.index, dtype=bool)


def effective_allocations(versions: pd.DataFrame) -> pd.DataFrame:
    """§2: the latest version of each allocation, withdrawn ones removed; jeugdhulp only."""
    versions = versions.copy()
    for name in ("ingangsdatum", "einddatum", "dagtekening"):
        versions[name] = pd.to_datetime(versions[name], format="%Y-%m-%d")
    latest = versions.sort_values(
        ["gemeentecode", "toewijzingnummer", "dagtekening", "file_seq", "source_row"],
        ascending=[True, True, False, False, False],
        na_position="last",
    ).drop_duplicates(["gemeentecode", "toewijzingnummer"], keep="first")
    withdrawn = latest["einddatum"].notna() & (latest["einddatum"] < latest["ingangsdatum"])
    latest = latest[~withdrawn]
    return latest[_jeugdhulp(latest)]


def chain(effective: pd.DataFrame, gap_months: int) -> pd.DataFrame:
    """§4, per client in a Python loop: a new trajectory starts when an allocation begins on
    or after (covered_until + 1 day) + gap calendar months."""
    gap = pd.DateOffset(months=gap_months)
    ordered = effective.assign(open_ended=effective["einddatum"].isna()).sort_values(
        ["bsn", "ingangsdatum", "open_ended", "einddatum", "toewijzingnummer", "gemeentecode"]
    )
    rows = []
    for bsn, allocations in ordered.groupby("bsn", sort=False):
        seq, start, covered, is_open, gemeente = 0, None, None, False, None
        for begin, end, code in zip(
            allocations["ingangsdatum"],
            allocations["einddatum"],
            allocations["gemeentecode"],
            strict=True,
        ):
            if seq == 0 or (not is_open and begin >= covered + ONE_DAY + gap):
                if seq:
                    rows.append((bsn, seq, gemeente, start, None if is_open else covered))
                seq += 1
                start, covered, is_open, gemeente = begin, end, pd.isna(end), code
            elif pd.isna(end):
                is_open = True
            elif not is_open:
                covered = max(covered, end)
        rows.append((bsn, seq, gemeente, start, None if is_open else covered))
    return pd.DataFrame(rows, columns=["bsn", "trajectory_seq", "gemeentecode", "start", "end"])


def describe(trajectories: pd.DataFrame, peildatum: dt.date, gap_months: int) -> pd.DataFrame:
    """§4 status as of the peildatum, re-entry flag and gap days."""
    peil = pd.Timestamp(peildatum)
    gap = pd.DateOffset(months=gap_months)
    end = pd.to_datetime(trajectories["end"])
    status = []
    for day in end:
        if pd.isna(day) or day >= peil:
            status.append("ongoing")
        elif day + ONE_DAY + gap <= peil:
            status.append("closed")
        else:
            status.append("ended")
    previous_end = end.groupby(trajectories["bsn"]).shift()
    out = pd.DataFrame(
        {
            "bsn": trajectories["bsn"],
            "trajectory_seq": trajectories["trajectory_seq"],
            "gemeentecode": trajectories["gemeentecode"],
            "start_date": pd.to_datetime(trajectories["start"]).dt.date,
            "end_date": end.dt.date.astype(object).where(end.notna(), None),
            "status": status,
            "is_reentry": trajectories["trajectory_seq"] > 1,
        }
    )
    gap_days = (pd.to_datetime(trajectories["start"]) - previous_end).dt.days - 1
    out["gap_days"] = gap_days.where(out["is_reentry"]).astype("Int64")
    return out


def pandas_trajectories(
    landing: Path, *, peildatum: dt.date, gap_months: int, hmac_key: bytes
) -> pd.DataFrame:
    """One row per client trajectory (OUTPUT_COLUMNS), client_key = HMAC of the BSN (§7)."""
    versions = valid_versions(read_allocations(Path(landing)), peildatum)
    effective = effective_allocations(versions)
    out = describe(chain(effective, gap_months), peildatum, gap_months)
    keys = {bsn: client_key(bsn, hmac_key) for bsn in out["bsn"].unique()}
    out["client_key"] = out["bsn"].map(keys)
    return out[OUTPUT_COLUMNS].reset_index(drop=True)
