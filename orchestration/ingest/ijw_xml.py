"""Read one iJw XML message (release 3.2) into rows of the §2 raw contract.

DEFINITIONS §1/§2: an allocation is an iJw JW301 (toewijzing) line, a declaration line a JW323
(declaratie) prestatie. One message per file; `read_ijw_message(path, expected)` returns a
`pyarrow.Table` of all-string columns in contract order (ALLOCATION_COLUMNS or
DECLARATION_COLUMNS): values as delivered, trimmed, '' → null, dates ISO `YYYY-MM-DD`, integers
(toewijzingnummer, volume, bedrag) in canonical form. Typing and row rules (elfproef, known
allocation, …) are applied later, as for CSV and Parquet files.

A message that is not well-formed XML, is of another type than the folder expects (a JW315 or a
JW323 in allocations/), lacks an element its schema requires, or has a value its schema forbids
in a field read here (a date like 2027-06-31, a 5-digit gemeente, a debet/credit other than D/C),
or whose declared total does not equal its lines, is rejected as a whole with `IjwMessageError`
naming the file, the element and the reason (§2: "rejected as a whole file with its reason").
The field mapping is documented in docs/IJW_MAPPING.md.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
from lxml import etree

from orchestration.ingest.contract import ENTITIES

SUPPORTED_RELEASE = "3_2"
_NAMESPACE = re.compile(
    r"^http://www\.istandaarden\.nl/ijw/(?P<release>\d+_\d+)/(?P<message>jw\d{3})/schema$"
)
BASE_NAMESPACE = "http://www.istandaarden.nl/ijw/{release}/basisschema/schema"

# iJw message types: BerichtCode and Dutch name.
MESSAGE_TYPES: dict[str, tuple[str, str]] = {
    "jw301": ("436", "toewijzing"),
    "jw305": ("438", "start zorg"),
    "jw307": ("440", "stop zorg"),
    "jw315": ("446", "verzoek om toewijzing"),
    "jw323": ("490", "declaratie"),
    "jw325": ("491", "declaratie-antwoord"),
}
EXPECTED_MESSAGE = {"allocations": "jw301", "declarations": "jw323"}


class IjwMessageError(ValueError):
    """An iJw message file is rejected as a whole; `str()` names the file and the reason."""

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


# ----------------------------------------------------------------------------- value checks


def _date(text: str) -> str | None:
    """xs:date without time zone (LDT_Datum) → ISO date, or None when invalid."""
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return None
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        return None


def _digits(n: int) -> Callable[[str], str | None]:
    def check(text: str) -> str | None:
        return text if re.fullmatch(rf"\d{{{n}}}", text) else None

    check.__doc__ = f"exactly {n} digits"
    return check


def _integer(text: str) -> str | None:
    """xs:integer ≥ 0 (LDT_Nummer, LDT_Volume, LDT_Bedrag) in canonical form: '007' → '7'."""
    return str(int(text.lstrip("+"))) if re.fullmatch(r"\+?\d+", text) else None


def _debet_credit(text: str) -> str | None:
    return text if text in ("D", "C") else None


def _text(text: str) -> str | None:
    return text


_KIND_WORDS = {
    "date": "a valid date (YYYY-MM-DD)",
    "integer": "a whole number ≥ 0",
    "dc": "D or C",
    "text": "text",
}
_CHECKS: dict[str, Callable[[str], str | None]] = {
    "date": _date,
    "integer": _integer,
    "dc": _debet_credit,
    "text": _text,
    "digits1": _digits(1),
    "digits2": _digits(2),
    "digits4": _digits(4),
    "digits8": _digits(8),
    "digits9": _digits(9),
}


# ----------------------------------------------------------------------------- mapping


@dataclass(frozen=True)
class Field:
    """One contract column read from an element path (relative to its level's node).

    Prefix `m:` is the message namespace, `b:` the basisschema namespace. `required`: the
    message schema requires the element (also where the contract column is optional).
    """

    column: str
    path: str
    kind: str
    required: bool


# Levels: "header" (from the Bericht root), "client", "line" (toewijzing or prestatie).
JW301_FIELDS: dict[str, tuple[Field, ...]] = {
    "header": (
        Field("gemeentecode", "m:Header/m:Afzender", "digits4", True),
        Field("aanbieder_agb", "m:Header/m:Ontvanger", "digits8", True),
        Field("dagtekening", "m:Header/m:BerichtIdentificatie/b:Dagtekening", "date", True),
    ),
    "client": (
        Field("bsn", "m:Bsn", "digits9", True),
        Field("geboortedatum", "m:Geboortedatum/b:Datum", "date", True),
    ),
    "line": (
        Field("toewijzingnummer", "m:ToewijzingNummer", "integer", True),
        Field("productcategorie", "m:Product/b:Categorie", "digits2", False),
        Field("productcode", "m:Product/b:Code", "text", False),
        Field("ingangsdatum", "m:Ingangsdatum", "date", True),
        Field("einddatum", "m:Einddatum", "date", False),
        Field("toewijzingsdatum", "m:Toewijzingsdatum", "date", True),
        Field("volume", "m:Omvang/b:Volume", "integer", False),
        Field("eenheid", "m:Omvang/b:Eenheid", "digits2", False),
        Field("frequentie", "m:Omvang/b:Frequentie", "digits1", False),
        Field("reden_wijziging", "m:RedenWijziging", "digits2", False),
    ),
}
JW323_FIELDS: dict[str, tuple[Field, ...]] = {
    "header": (
        Field("aanbieder_agb", "m:Header/m:Afzender", "digits8", True),
        Field("gemeentecode", "m:Header/m:Ontvanger", "digits4", True),
    ),
    "client": (Field("bsn", "m:Bsn", "digits9", True),),
    "line": (
        Field("declaratienummer", "m:ProductReferentie/b:ReferentieNummer", "text", True),
        Field(
            "vorig_declaratienummer", "m:ProductReferentie/b:VorigReferentieNummer", "text", False
        ),
        Field("debet_credit", "m:IngediendBedrag/b:DebetCredit", "dc", True),
        Field("toewijzingnummer", "m:ToewijzingNummer", "integer", True),
        Field("productcategorie", "m:ProductCategorie", "digits2", True),
        Field("productcode", "m:ProductCode", "text", True),
        Field("begindatum", "m:ProductPeriode/b:Begindatum", "date", True),
        Field("einddatum", "m:ProductPeriode/b:Einddatum", "date", True),
        Field("geleverd_volume", "m:GeleverdVolume", "integer", True),
        Field("eenheid", "m:Eenheid", "digits2", True),
        Field("bedrag", "m:IngediendBedrag/b:Bedrag", "integer", True),
    ),
}
# Where the clients and their lines are, relative to the root and to a client.
LAYOUT = {
    "jw301": ("m:Client", "m:ToegewezenProducten/m:ToegewezenProduct", JW301_FIELDS),
    "jw323": ("m:Declaratie/m:Clienten/m:Client", "m:Prestaties/m:Prestatie", JW323_FIELDS),
}


# ----------------------------------------------------------------------------- reading


def _local(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else str(tag)


def _where(node: etree._Element) -> str:
    """A readable element path: Client/ToegewezenProducten/ToegewezenProduct[2]."""
    parts: list[str] = []
    while node is not None and node.getparent() is not None:
        parent = node.getparent()
        same = [c for c in parent if c.tag == node.tag]
        name = _local(node.tag)
        parts.append(f"{name}[{same.index(node) + 1}]" if len(same) > 1 else name)
        node = parent
    return "/".join(reversed(parts)) or "Bericht"


def _display(path: str) -> str:
    return re.sub(r"\b[mb]:", "", path)


class _Message:
    def __init__(self, path: Path, root: etree._Element, message: str, release: str) -> None:
        self.path = path
        self.root = root
        self.message = message
        self.ns = {
            "m": etree.QName(root).namespace,
            "b": BASE_NAMESPACE.format(release=release),
        }

    def error(self, reason: str) -> IjwMessageError:
        return IjwMessageError(self.path, f"{self.message.upper()} message: {reason}")

    def value(self, node: etree._Element, field: Field) -> str | None:
        found = node.find(field.path, self.ns)
        place = f"{_where(node)}/{_display(field.path)}".removeprefix("Bericht/")
        text = (found.text or "").strip() if found is not None else ""
        if not text:
            if field.required:
                what = "is missing" if found is None else "is empty"
                raise self.error(f"required element {place} {what}")
            return None
        checked = _CHECKS[field.kind](text)
        if checked is None:
            expected = _KIND_WORDS.get(field.kind) or f"{field.kind[6:]} digit(s)"
            raise self.error(f"{place} = {text!r} is not {expected}")
        return checked

    def all(self, node: etree._Element, path: str) -> list[etree._Element]:
        found = node.findall(path, self.ns)
        if not found:
            raise self.error(f"required element {_where(node)}/{_display(path)} is missing")
        return found


def _parse(path: Path) -> etree._Element:
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, remove_comments=True
    )
    try:
        return etree.parse(str(path), parser).getroot()
    except OSError as exc:
        raise IjwMessageError(path, f"cannot read the file ({exc})") from exc
    except etree.XMLSyntaxError as exc:
        raise IjwMessageError(path, f"not well-formed XML: {exc}") from exc


def _message_type(path: Path, root: etree._Element) -> tuple[str, str]:
    qname = etree.QName(root)
    match = _NAMESPACE.match(qname.namespace or "")
    if qname.localname != "Bericht" or match is None:
        raise IjwMessageError(
            path,
            f"not an iJw message: the root element is {qname.localname!r} in namespace "
            f"{qname.namespace or '(none)'!r}, expected Bericht in an iJw namespace",
        )
    return match["message"], match["release"]


def _describe(message: str) -> str:
    name = MESSAGE_TYPES.get(message, ("", "unknown message type"))[1]
    return f"{message.upper()} ({name})"


def _check_header(msg: _Message) -> None:
    code = msg.root.find("m:Header/m:BerichtCode", msg.ns)
    expected = MESSAGE_TYPES[msg.message][0]
    actual = (code.text or "").strip() if code is not None else ""
    if actual != expected:
        raise msg.error(f"Header/BerichtCode is {actual or '(missing)'!r}, expected {expected}")


def _check_declared_total(msg: _Message, rows: list[dict[str, str | None]]) -> None:
    """JW323: TotaalIngediendBedrag equals the lines' debits minus credits."""
    total = msg.root.find("m:Declaratie/m:TotaalIngediendBedrag", msg.ns)
    if total is None:
        raise msg.error("required element Declaratie/TotaalIngediendBedrag is missing")
    amount = msg.value(total, Field("totaal", "b:TotaalBedrag", "integer", True)) or "0"
    sign = msg.value(total, Field("totaal", "b:DebetCredit", "dc", True))
    declared = int(amount) * (1 if sign == "D" else -1)
    net = sum(int(r["bedrag"] or 0) * (1 if r["debet_credit"] == "D" else -1) for r in rows)
    if declared != net:
        raise msg.error(
            f"Declaratie/TotaalIngediendBedrag is {amount} {sign} but the prestaties add up to "
            f"{abs(net)} {'D' if net >= 0 else 'C'} (debet minus credit): the message is "
            "incomplete or inconsistent"
        )


def read_ijw_message(path: Path, expected: str) -> pa.Table:
    """Rows of one iJw message: JW301 for `expected="allocations"`, JW323 for "declarations".

    Raises `IjwMessageError(path, reason)` for a file that is not well-formed XML, not an iJw
    3.2 message, of another message type, missing a required element, with an invalid value in a
    field read here, or (JW323) whose declared total differs from its lines.
    """
    if expected not in EXPECTED_MESSAGE:
        raise ValueError(f"expected must be one of {sorted(EXPECTED_MESSAGE)}, not {expected!r}")
    path = Path(path)
    root = _parse(path)
    message, release = _message_type(path, root)
    wanted = EXPECTED_MESSAGE[expected]
    if message != wanted:
        raise IjwMessageError(
            path,
            f"a {_describe(message)} message does not belong in {expected}/: "
            f"expected {_describe(wanted)}",
        )
    if release != SUPPORTED_RELEASE:
        raise IjwMessageError(
            path,
            f"iJw release {release.replace('_', '.')} is not supported; expected release "
            f"{SUPPORTED_RELEASE.replace('_', '.')}",
        )
    msg = _Message(path, root, message, release)
    _check_header(msg)
    client_path, line_path, fields = LAYOUT[message]
    header = {f.column: msg.value(root, f) for f in fields["header"]}
    rows: list[dict[str, str | None]] = []
    for client in msg.all(root, client_path):
        client_values = {f.column: msg.value(client, f) for f in fields["client"]}
        for line in msg.all(client, line_path):
            line_values = {f.column: msg.value(line, f) for f in fields["line"]}
            rows.append({**header, **client_values, **line_values})
    if message == "jw323":
        _check_declared_total(msg, rows)
    columns = [c.name for c in ENTITIES[expected]]
    return pa.table(
        {name: pa.array([row.get(name) for row in rows], type=pa.string()) for name in columns}
    )
