"""Read one iJw XML message (release 3.2) into rows of the §2/§2.1 raw contract.

DEFINITIONS §1/§2: an allocation is an iJw JW301 (toewijzing) line, a declaration line a JW323
(declaratie) prestatie. §2.1: a care start is a JW305 (start zorg) StartProduct, a care stop a
JW307 (stop zorg) StopProduct, an allocation request a JW315 (verzoek om toewijzing)
AangevraagdProduct, a declaration answer a JW325 (declaratie-antwoord) Prestatie. One message
per file; `read_ijw_message(path, expected)` returns a `pyarrow.Table` of all-string columns in
the contract order of the entity `expected` (contract.ENTITIES): values as delivered, trimmed,
'' → null, dates ISO `YYYY-MM-DD`, integers (toewijzingnummer, volume, bedrag) in canonical
form. Typing and row rules (elfproef, known allocation, code lists, …) are applied later, as
for CSV and Parquet files.

A message that is not well-formed XML, is of another type than the folder expects (a JW315 or a
JW323 in allocations/), lacks an element its schema requires, or has a value its schema forbids
in a field read or checked here (a date like 2027-06-31, a 5-digit gemeente, a debet/credit
other than D/C), or whose declared total does not equal its lines (JW323; JW325: the awarded
total), is rejected as a whole with `IjwMessageError` naming the file, the element and the
reason (§2: "rejected as a whole file with its reason"). The field mapping is documented in
docs/IJW_MAPPING.md.
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
EXPECTED_MESSAGE = {
    "allocations": "jw301",
    "declarations": "jw323",
    "care_starts": "jw305",
    "care_stops": "jw307",
    "allocation_requests": "jw315",
    "declaration_responses": "jw325",
}
"""The message type each landing sub-folder takes. outcome_reports/ takes none (§2.1: no iJw
message carries outcome reports): an XML file there is rejected as a whole."""
ACCEPTED_RETOURCODE = "0200"  # "geen opmerking": every other code rejects the prestatie (§2.1)


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
    "codes4": _digits(4),  # each of a list of 4-digit codes (retourcodes)
}


# ----------------------------------------------------------------------------- mapping


@dataclass(frozen=True)
class Field:
    """One contract column read from an element path (relative to its level's node).

    Prefix `m:` is the message namespace, `b:` the basisschema namespace. `required`: the
    message schema requires the element (also where the contract column is optional). A
    `column` starting with `_` is checked against its schema type but not loaded (or used only
    by a message check). Kind `codes4` reads every matching element and joins the values with
    a space.
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
        Field("referentie_aanbieder", "m:ReferentieAanbieder", "text", False),
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
# JW305/JW307/JW315: sent by the aanbieder (Afzender) to the gemeente (Ontvanger).
_PROVIDER_HEADER = (
    Field("aanbieder_agb", "m:Header/m:Afzender", "digits8", True),
    Field("gemeentecode", "m:Header/m:Ontvanger", "digits4", True),
    Field("dagtekening", "m:Header/m:BerichtIdentificatie/b:Dagtekening", "date", True),
)
JW305_FIELDS: dict[str, tuple[Field, ...]] = {
    "header": _PROVIDER_HEADER,
    "client": (Field("bsn", "m:Bsn", "digits9", True),),
    "line": (
        # optional in the schema, required by the contract: a missing one is a row rule
        Field("toewijzingnummer", "m:ToewijzingNummer", "integer", False),
        Field("productcategorie", "m:Product/b:Categorie", "digits2", False),
        Field("productcode", "m:Product/b:Code", "text", False),
        Field("_toewijzing_ingangsdatum", "m:ToewijzingIngangsdatum", "date", False),
        Field("begindatum", "m:Begindatum", "date", True),
        Field("status_aanlevering", "m:StatusAanlevering", "digits1", True),
    ),
}
JW307_FIELDS: dict[str, tuple[Field, ...]] = {
    "header": _PROVIDER_HEADER,
    "client": (Field("bsn", "m:Bsn", "digits9", True),),
    "line": (
        Field("toewijzingnummer", "m:ToewijzingNummer", "integer", False),
        Field("productcategorie", "m:Product/b:Categorie", "digits2", False),
        Field("productcode", "m:Product/b:Code", "text", False),
        Field("_toewijzing_ingangsdatum", "m:ToewijzingIngangsdatum", "date", False),
        Field("begindatum", "m:Begindatum", "date", True),
        Field("reden_beeindiging", "m:RedenBeeindiging", "digits2", True),
        Field("einddatum", "m:Einddatum", "date", True),
        Field("status_aanlevering", "m:StatusAanlevering", "digits1", True),
    ),
}
JW315_FIELDS: dict[str, tuple[Field, ...]] = {
    "header": _PROVIDER_HEADER,
    "client": (Field("bsn", "m:Bsn", "digits9", True),),
    "line": (
        Field("referentie_aanbieder", "m:ReferentieAanbieder", "text", True),
        Field("productcategorie", "m:Product/b:Categorie", "digits2", False),
        Field("productcode", "m:Product/b:Code", "text", False),
        Field("_beschikking_ingangsdatum", "m:BeschikkingIngangsdatum", "date", False),
        Field("ingangsdatum", "m:ToewijzingIngangsdatum", "date", True),
        Field("_toewijzing_einddatum", "m:ToewijzingEinddatum", "date", False),
        Field("verwijzer_type", "m:Verwijzer/b:Type", "digits2", True),
    ),
}
# JW325: sent by the gemeente (Afzender) to the aanbieder (Ontvanger).
JW325_FIELDS: dict[str, tuple[Field, ...]] = {
    "header": (
        Field("gemeentecode", "m:Header/m:Afzender", "digits4", True),
        Field("aanbieder_agb", "m:Header/m:Ontvanger", "digits8", True),
        Field("dagtekening", "m:Header/m:BerichtIdentificatie/b:Dagtekening", "date", True),
    ),
    "client": (Field("_bsn", "m:Bsn", "digits9", True),),  # checked, never loaded
    "line": (
        Field("declaratienummer", "m:ProductReferentie/b:ReferentieNummer", "text", True),
        Field("_bedrag", "m:IngediendBedrag/b:Bedrag", "integer", True),
        Field("_debet_credit", "m:IngediendBedrag/b:DebetCredit", "dc", True),
        Field("retourcodes", "m:RetourCodes/m:RetourCode", "codes4", True),
    ),
}


@dataclass(frozen=True)
class Layout:
    """Where the lines of a message are: per group (the root, or each JW325
    DeclaratieAntwoord), its clients, per client its lines. `clients_required`: a message
    without a client is invalid (JW325: an answer may name no prestatie)."""

    groups: str | None
    clients: str
    lines: str
    fields: dict[str, tuple[Field, ...]]
    clients_required: bool = True


LAYOUT = {
    "jw301": Layout(None, "m:Client", "m:ToegewezenProducten/m:ToegewezenProduct", JW301_FIELDS),
    "jw323": Layout(
        None, "m:Declaratie/m:Clienten/m:Client", "m:Prestaties/m:Prestatie", JW323_FIELDS
    ),
    "jw305": Layout(None, "m:Client", "m:StartProducten/m:StartProduct", JW305_FIELDS),
    "jw307": Layout(None, "m:Client", "m:StopProducten/m:StopProduct", JW307_FIELDS),
    "jw315": Layout(None, "m:Client", "m:AangevraagdeProducten/m:AangevraagdProduct", JW315_FIELDS),
    "jw325": Layout(
        "m:DeclaratieAntwoord",
        "m:Clienten/m:Client",
        "m:Prestaties/m:Prestatie",
        JW325_FIELDS,
        clients_required=False,
    ),
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
        if field.kind == "codes4":
            return self.codes(node, field)
        found = node.find(field.path, self.ns)
        place = _where(node) if field.path == "." else f"{_where(node)}/{_display(field.path)}"
        place = place.removeprefix("Bericht/")
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

    def codes(self, node: etree._Element, field: Field) -> str | None:
        """Every element at `field.path`, each checked, joined by a space (in message order)."""
        values = []
        for found in node.findall(field.path, self.ns):
            one = Field(field.column, ".", field.kind.replace("codes", "digits"), True)
            values.append(self.value(found, one))
        if not values and field.required:
            raise self.error(f"required element {_where(node)}/{_display(field.path)} is missing")
        return " ".join(v for v in values if v) or None

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


def _signed(amount: str | None, sign: str | None) -> int:
    return int(amount or 0) * (1 if sign == "D" else -1)


def _words(net: int) -> str:
    return f"{abs(net)} {'D' if net >= 0 else 'C'}"


def _check_awarded_total(
    msg: _Message, answer: etree._Element, rows: list[dict[str, str | None]]
) -> None:
    """JW325, per DeclaratieAntwoord (§2.1): the declaration's non-rejected prestaties add up to
    TotaalToegekendBedrag. A prestatie is rejected when any of its retourcodes is not 0200.

    The answer lists every prestatie, or (as the national standard has it) only the rejected
    ones; so the total holds when the listed non-rejected prestaties add up to it, or when the
    submitted total (TotaalIngediendBedrag) minus the listed rejected prestaties does."""
    where = _where(answer)
    totals = {}
    for name in ("TotaalIngediendBedrag", "TotaalToegekendBedrag"):
        total = answer.find(f"m:{name}", msg.ns)
        if total is None:
            raise msg.error(f"required element {where}/{name} is missing")
        amount = msg.value(total, Field("totaal", "b:TotaalBedrag", "integer", True))
        sign = msg.value(total, Field("totaal", "b:DebetCredit", "dc", True))
        totals[name] = (_signed(amount, sign), f"{amount} {sign}")
    submitted, _ = totals["TotaalIngediendBedrag"]
    awarded, awarded_words = totals["TotaalToegekendBedrag"]
    accepted = rejected = 0
    for row in rows:
        amount = _signed(row["_bedrag"], row["_debet_credit"])
        if set((row["retourcodes"] or "").split()) <= {ACCEPTED_RETOURCODE}:
            accepted += amount
        else:
            rejected += amount
    if awarded not in (accepted, submitted - rejected):
        raise msg.error(
            f"{where}/TotaalToegekendBedrag is {awarded_words} but the non-rejected prestaties "
            f"add up to {_words(accepted)} (listed with retourcode {ACCEPTED_RETOURCODE} only), "
            f"and TotaalIngediendBedrag minus the rejected prestaties to "
            f"{_words(submitted - rejected)}: the answer is incomplete or inconsistent"
        )


def read_ijw_message(path: Path, expected: str) -> pa.Table:
    """Rows of one iJw message of the type the entity `expected` takes (EXPECTED_MESSAGE): JW301
    for "allocations", JW323 for "declarations", JW305 for "care_starts", JW307 for
    "care_stops", JW315 for "allocation_requests", JW325 for "declaration_responses".

    Raises `IjwMessageError(path, reason)` for a file that is not well-formed XML, not an iJw
    3.2 message, of another message type, missing a required element, with an invalid value in a
    field read here, whose declared total differs from its lines (JW323) or whose awarded total
    differs from its non-rejected prestaties (JW325), and for any XML in an entity no message
    carries (outcome_reports).
    """
    path = Path(path)
    if expected in ENTITIES and expected not in EXPECTED_MESSAGE:
        raise IjwMessageError(
            path,
            f"no iJw message carries {expected}: deliver {expected}/ as CSV or Parquet "
            "(DEFINITIONS §2.1)",
        )
    if expected not in EXPECTED_MESSAGE:
        raise ValueError(f"expected must be one of {sorted(EXPECTED_MESSAGE)}, not {expected!r}")
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
    layout = LAYOUT[message]
    fields = layout.fields
    header = {f.column: msg.value(root, f) for f in fields["header"]}
    rows: list[dict[str, str | None]] = []
    groups = root.findall(layout.groups, msg.ns) if layout.groups else [root]
    for group in groups:
        group_rows: list[dict[str, str | None]] = []
        if layout.clients_required:
            clients = msg.all(group, layout.clients)
        else:
            clients = group.findall(layout.clients, msg.ns)
        for client in clients:
            client_values = {f.column: msg.value(client, f) for f in fields["client"]}
            for line in msg.all(client, layout.lines):
                line_values = {f.column: msg.value(line, f) for f in fields["line"]}
                group_rows.append({**header, **client_values, **line_values})
        if message == "jw325":
            _check_awarded_total(msg, group, group_rows)
        rows += group_rows
    if message == "jw323":
        _check_declared_total(msg, rows)
    columns = [c.name for c in ENTITIES[expected]]
    return pa.table(
        {name: pa.array([row.get(name) for row in rows], type=pa.string()) for name in columns}
    )
