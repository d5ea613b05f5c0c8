"""Write a generated block as iJw release 3.2 XML messages, one message per file.

Sub-folders and messages (DEFINITIONS §2, §2.1); Afzender/Ontvanger as the schemas define them:

| folder | message | Afzender → Ontvanger | one message holds |
|---|---|---|---|
| allocations/ | JW301 toewijzing | gemeente → aanbieder | one client's allocation versions of one dagtekening |
| care_starts/ | JW305 start zorg | aanbieder → gemeente | one client's starts of one dagtekening |
| care_stops/ | JW307 stop zorg | aanbieder → gemeente | one client's stops of one dagtekening |
| allocation_requests/ | JW315 verzoek om toewijzing | aanbieder → gemeente | one client's requests of one dagtekening |
| declarations/ | JW323 declaratie | aanbieder → gemeente | the lines of one delivery month submitted in one month |
| declaration_responses/ | JW325 declaratie-antwoord | gemeente → aanbieder | the answer to one JW323 |

outcome_reports/ stay CSV (no iJw message carries them). Messages group rows within a block of
clients (at most 8192), so a month's declaration of a large provider may come in several
messages. A message's file is `<MESSAGE>_<dagtekening>_<number>.xml`.

The schemas type ToewijzingNummer as an integer of at most nine digits, so the XML carries the
allocation key (the CSV's "T" number without its tag); a deliberately defective copy (tag 8 or
9) gets a slot no allocation uses (63 or 62). A schema-required value the CSV leaves empty is
filled from what the generator knows (geboortedatum, toewijzingsdatum = ingangsdatum, a JW323
product code = its category's first code); an hour volume that is not whole is declared in
minutes (GeleverdVolume is an integer). Defective copies no valid message can carry (an
impossible date, a negative amount) are left out and not counted in the summary.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa

from orchestration.generator import catalogue as cat
from orchestration.generator.context import SLOTS
from orchestration.generator.cycle import ACCEPTED_CODE
from orchestration.generator.writer import PartWriter

BASE_NS = "http://www.istandaarden.nl/ijw/3_2/basisschema/schema"
MESSAGES = {  # message -> (BerichtCode, folder)
    "JW301": ("436", "allocations"),
    "JW305": ("438", "care_starts"),
    "JW307": ("440", "care_stops"),
    "JW315": ("446", "allocation_requests"),
    "JW323": ("490", "declarations"),
    "JW325": ("491", "declaration_responses"),
}
_UNUSED_SLOT = {"8": SLOTS - 1, "9": SLOTS - 2}
_FIRST_CODE: dict[str, str] = {}
for _p in cat.PRODUCTS:
    _FIRST_CODE.setdefault(_p.category, _p.code)
_XSD_VERSIE = (
    "<{m}:XsdVersie><ijw:BasisschemaXsdVersie>1.0.0</ijw:BasisschemaXsdVersie>"
    "<ijw:BerichtXsdVersie>1.0.0</ijw:BerichtXsdVersie></{m}:XsdVersie>"
)


def toewijzing_number(text: str) -> str:
    """The JW301 ToewijzingNummer (an integer of at most nine digits) of a "T" number."""
    tag, key = text[1], int(text[2:])
    if tag in _UNUSED_SLOT:
        key = key // SLOTS * SLOTS + _UNUSED_SLOT[tag]
    return str(key)


def _valid_date(text: str | None) -> bool:
    if not text:
        return True
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _rows(table: pa.Table) -> list[dict[str, str | None]]:
    return table.to_pylist()


def _geslacht(bsn: str) -> str:
    return "1" if int(bsn[-2]) % 2 else "2"


def _el(m: str, name: str, value: str | None) -> str:
    return "" if value is None or value == "" else f"<{m}:{name}>{value}</{m}:{name}>"


def _product(m: str, category: str | None, code: str | None) -> str:
    if not category:
        return ""
    code_el = f"<ijw:Code>{code}</ijw:Code>" if code else ""
    return f"<{m}:Product><ijw:Categorie>{category}</ijw:Categorie>{code_el}</{m}:Product>"


def _amount(m: str, name: str, cents: int, total: bool) -> str:
    tag = "TotaalBedrag" if total else "Bedrag"
    sign = "D" if cents >= 0 else "C"
    return (
        f"<{m}:{name}><ijw:{tag}>{abs(cents)}</ijw:{tag}>"
        f"<ijw:DebetCredit>{sign}</ijw:DebetCredit></{m}:{name}>"
    )


def _volume(volume: str, unit: str) -> tuple[str, str]:
    value = float(volume)
    if value == int(value):
        return str(int(value)), unit
    if unit == cat.HOUR:
        return str(round(value * 60)), cat.MINUTE
    return str(round(value)), unit


class IjwWriter:
    """Writes blocks as iJw messages under `out`; outcome_reports as CSV part files."""

    def __init__(self, out: Path, progress: Callable[[str], None] | None = None) -> None:
        self.out = out
        self.files = 0
        self._number = 0
        self._outcomes = PartWriter(out / "outcome_reports", 0, "csv")
        self._say = progress or (lambda _message: None)

    def close(self) -> int:
        return self.files + len(self._outcomes.close())

    # ------------------------------------------------------------ files
    def _write(
        self, message: str, sender: str, receiver: str, dag: str, body: str, extra_header: str = ""
    ) -> str:
        self._number += 1
        ident = str(self._number)
        code, folder = MESSAGES[message]
        m = message.lower()
        header = (
            f"<{m}:Header><{m}:BerichtCode>{code}</{m}:BerichtCode>"
            f"<{m}:BerichtVersie>3</{m}:BerichtVersie><{m}:BerichtSubversie>2</{m}:BerichtSubversie>"
            f"<{m}:Afzender>{sender}</{m}:Afzender><{m}:Ontvanger>{receiver}</{m}:Ontvanger>"
            f"<{m}:BerichtIdentificatie><ijw:Identificatie>{ident}</ijw:Identificatie>"
            f"<ijw:Dagtekening>{dag}</ijw:Dagtekening></{m}:BerichtIdentificatie>"
            f"{_XSD_VERSIE.format(m=m)}{extra_header}</{m}:Header>"
        )
        text = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<{m}:Bericht xmlns:ijw="{BASE_NS}" '
            f'xmlns:{m}="http://www.istandaarden.nl/ijw/3_2/{m}/schema">'
            f"{header}{body}</{m}:Bericht>\n"
        )
        folder_path = self.out / folder
        folder_path.mkdir(parents=True, exist_ok=True)
        (folder_path / f"{message}_{dag}_{self._number:09d}.xml").write_text(text, encoding="utf-8")
        self.files += 1
        return ident

    # ------------------------------------------------------------ blocks
    def write_block(self, block) -> dict[str, dict[str, int]]:  # noqa: ANN001
        """Write every entity of `block`; return the defective copies left out, per kind."""
        dropped: dict[str, dict[str, int]] = {"allocations": {}, "declarations": {}}
        allocations = []
        for row in _rows(block.tables["allocations"][0]):
            if not _valid_date(row["ingangsdatum"]):
                dropped["allocations"]["impossible_date"] = (
                    dropped["allocations"].get("impossible_date", 0) + 1
                )
                continue
            allocations.append(row)
        declarations = []
        for row in _rows(block.tables["declarations"][0]):
            if not (_valid_date(row["begindatum"]) and _valid_date(row["einddatum"])):
                kind = "impossible_date"
            elif int(row["bedrag"]) < 0:
                kind = "negative_amount"
            else:
                declarations.append(row)
                continue
            dropped["declarations"][kind] = dropped["declarations"].get(kind, 0) + 1
        self._allocations(allocations)
        self._client_messages("JW305", _rows(block.tables["care_starts"][0]))
        self._client_messages("JW307", _rows(block.tables["care_stops"][0]))
        self._client_messages("JW315", _rows(block.tables["allocation_requests"][0]))
        answers = {
            r["declaratienummer"]: r for r in _rows(block.tables["declaration_responses"][0])
        }
        self._declarations(declarations, answers)
        outcomes, years = block.tables["outcome_reports"]
        numbers = [toewijzing_number(t) for t in outcomes.column("toewijzingnummer").to_pylist()]
        outcomes = outcomes.set_column(0, "toewijzingnummer", pa.array(numbers, pa.string()))
        self._outcomes.write(
            outcomes.select([c for c in outcomes.column_names if c[0] != "_"]), years
        )
        return dropped

    def _client(self, m: str, row: dict, full_name: bool) -> str:
        naam = "<ijw:Geslachtsnaam><ijw:Achternaam>Synthetisch</ijw:Achternaam></ijw:Geslachtsnaam>"
        if full_name:
            naam += "<ijw:NaamGebruik>1</ijw:NaamGebruik>"
        return (
            f"<{m}:Bsn>{row['bsn']}</{m}:Bsn>"
            f"<{m}:Geboortedatum><ijw:Datum>{row['_geboortedatum']}</ijw:Datum></{m}:Geboortedatum>"
            f"<{m}:Geslacht>{_geslacht(row['bsn'])}</{m}:Geslacht><{m}:Naam>{naam}</{m}:Naam>"
        )

    def _allocations(self, rows: list[dict]) -> None:
        m = "jw301"
        groups: dict[tuple, list[dict]] = {}
        for row in rows:
            key = (row["gemeentecode"], row["aanbieder_agb"], row["bsn"], row["dagtekening"])
            groups.setdefault(key, []).append(row)
        for (gemeente, agb, _bsn, dag), members in groups.items():
            products = []
            for r in members:
                omvang = ""
                if r["volume"] and r["eenheid"] and r["frequentie"]:
                    omvang = (
                        f"<{m}:Omvang><ijw:Volume>{r['volume']}</ijw:Volume>"
                        f"<ijw:Eenheid>{r['eenheid']}</ijw:Eenheid>"
                        f"<ijw:Frequentie>{r['frequentie']}</ijw:Frequentie></{m}:Omvang>"
                    )
                products.append(
                    f"<{m}:ToegewezenProduct>"
                    + _el(m, "ToewijzingNummer", toewijzing_number(r["toewijzingnummer"]))
                    + _el(m, "ReferentieAanbieder", r["referentie_aanbieder"])
                    + _product(m, r["productcategorie"], r["productcode"])
                    + _el(m, "Toewijzingsdatum", r["toewijzingsdatum"] or r["ingangsdatum"])
                    + f"<{m}:Toewijzingstijd>09:00:00</{m}:Toewijzingstijd>"
                    + _el(m, "Ingangsdatum", r["ingangsdatum"])
                    + _el(m, "Einddatum", r["einddatum"])
                    + _el(m, "RedenWijziging", r["reden_wijziging"])
                    + omvang
                    + f"</{m}:ToegewezenProduct>"
                )
            body = (
                f"<{m}:Client>{self._client(m, members[0], full_name=True)}"
                f"<{m}:Contactgegevens><{m}:Contact><{m}:Soort>01</{m}:Soort></{m}:Contact>"
                f"</{m}:Contactgegevens><{m}:ToegewezenProducten>{''.join(products)}"
                f"</{m}:ToegewezenProducten></{m}:Client>"
            )
            self._write("JW301", gemeente, agb, dag, body)

    def _client_messages(self, message: str, rows: list[dict]) -> None:
        """JW305, JW307 and JW315: one client, products of one dagtekening, to one gemeente."""
        m = message.lower()
        groups: dict[tuple, list[dict]] = {}
        for row in rows:
            key = (row["gemeentecode"], row["aanbieder_agb"], row["bsn"], row["dagtekening"])
            groups.setdefault(key, []).append(row)
        for (gemeente, agb, _bsn, dag), members in groups.items():
            items = []
            for r in members:
                product = _product(m, r["productcategorie"], r["productcode"])
                if message == "JW315":
                    items.append(
                        f"<{m}:AangevraagdProduct>"
                        + _el(m, "ReferentieAanbieder", r["referentie_aanbieder"])
                        + product
                        + _el(m, "ToewijzingIngangsdatum", r["ingangsdatum"])
                        + f"<{m}:Verwijzer><ijw:Type>{r['verwijzer_type']}</ijw:Type></{m}:Verwijzer>"
                        + f"</{m}:AangevraagdProduct>"
                    )
                    continue
                inner = (
                    _el(m, "ToewijzingNummer", toewijzing_number(r["toewijzingnummer"]))
                    + product
                    + _el(m, "ToewijzingIngangsdatum", r["_ingangsdatum"])
                    + _el(m, "Begindatum", r["begindatum"])
                )
                if message == "JW307":
                    inner += _el(m, "RedenBeeindiging", r["reden_beeindiging"]) + _el(
                        m, "Einddatum", r["einddatum"]
                    )
                inner += _el(m, "StatusAanlevering", r["status_aanlevering"])
                tag = "StartProduct" if message == "JW305" else "StopProduct"
                items.append(f"<{m}:{tag}>{inner}</{m}:{tag}>")
            outer = {
                "JW305": "StartProducten",
                "JW307": "StopProducten",
                "JW315": "AangevraagdeProducten",
            }[message]
            body = (
                f"<{m}:Client>{self._client(m, members[0], full_name=False)}"
                f"<{m}:{outer}>{''.join(items)}</{m}:{outer}></{m}:Client>"
            )
            self._write(message, agb, gemeente, dag, body)

    def _declarations(self, rows: list[dict], answers: dict[str, dict]) -> None:
        groups: dict[tuple, list[dict]] = {}
        for row in rows:
            key = (
                row["aanbieder_agb"],
                row["gemeentecode"],
                row["begindatum"][:7],
                row["_message_date"],
            )
            groups.setdefault(key, []).append(row)
        for (agb, gemeente, month, dag), members in groups.items():
            first = dt.date.fromisoformat(month + "-01")
            last = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
            period = (first.isoformat(), (last - dt.timedelta(days=1)).isoformat())
            number = f"DC{self._number + 1:010d}"
            body = self._declaration_body("jw323", members, number, period, dag)
            ident = self._write("JW323", agb, gemeente, dag, body)
            # A message is answered as a whole or not at all; the answer lists its clean lines
            # once each (defective copies and verbatim duplicates get no answer).
            answered: dict[str, dict] = {}
            for r in members:
                if r["declaratienummer"] in answers:
                    answered.setdefault(r["declaratienummer"], r)
            if answered:
                self._answer(agb, gemeente, ident, dag, number, list(answered.values()), answers)

    def _prestatie(self, m: str, r: dict, codes: str | None) -> tuple[str, int]:
        volume, unit = _volume(r["geleverd_volume"], r["eenheid"])
        cents = int(r["bedrag"]) * (1 if r["debet_credit"] == "D" else -1)
        vorig = r["vorig_declaratienummer"]
        ref = f"<ijw:ReferentieNummer>{r['declaratienummer']}</ijw:ReferentieNummer>" + (
            f"<ijw:VorigReferentieNummer>{vorig}</ijw:VorigReferentieNummer>" if vorig else ""
        )
        retour = ""
        if codes is not None:
            retour = "".join(f"<{m}:RetourCode>{c}</{m}:RetourCode>" for c in codes.split())
            retour = f"<{m}:RetourCodes>{retour}</{m}:RetourCodes>"
        text = (
            f"<{m}:Prestatie><{m}:ProductReferentie>{ref}</{m}:ProductReferentie>"
            + _el(m, "ToewijzingNummer", toewijzing_number(r["toewijzingnummer"]))
            + _el(m, "ProductCategorie", r["productcategorie"])
            + _el(m, "ProductCode", r["productcode"] or _FIRST_CODE[r["productcategorie"]])
            + f"<{m}:ProductPeriode><ijw:Begindatum>{r['begindatum']}</ijw:Begindatum>"
            f"<ijw:Einddatum>{r['einddatum']}</ijw:Einddatum></{m}:ProductPeriode>"
            + _el(m, "GeleverdVolume", volume)
            + _el(m, "Eenheid", unit)
            + _amount(m, "IngediendBedrag", cents, total=False)
            + retour
            + f"</{m}:Prestatie>"
        )
        return text, cents

    def _clients(self, m: str, members: list[dict], answers: dict | None) -> tuple[str, int, int]:
        by_client: dict[str, list[str]] = {}
        total = granted = 0
        for r in members:
            codes = None if answers is None else answers[r["declaratienummer"]]["retourcodes"]
            text, cents = self._prestatie(m, r, codes)
            by_client.setdefault(r["bsn"], []).append(text)
            total += cents
            if codes is not None and codes == ACCEPTED_CODE:
                granted += cents
        client_retour = (
            f"<{m}:RetourCodes><{m}:RetourCode>{ACCEPTED_CODE}</{m}:RetourCode></{m}:RetourCodes>"
            if answers is not None
            else ""
        )
        clients = "".join(
            f"<{m}:Client><{m}:Bsn>{bsn}</{m}:Bsn><{m}:Prestaties>{''.join(items)}"
            f"</{m}:Prestaties>{client_retour}</{m}:Client>"
            for bsn, items in by_client.items()
        )
        return f"<{m}:Clienten>{clients}</{m}:Clienten>", total, granted

    def _declaration_body(
        self, m: str, members: list[dict], number: str, period: tuple[str, str], dag: str
    ) -> str:
        clients, total, _ = self._clients(m, members, None)
        body = (
            f"<{m}:Declaratie><{m}:DeclaratieNummer>{number}</{m}:DeclaratieNummer>"
            f"<{m}:DeclaratiePeriode><ijw:Begindatum>{period[0]}</ijw:Begindatum>"
            f"<ijw:Einddatum>{period[1]}</ijw:Einddatum></{m}:DeclaratiePeriode>"
            f"<{m}:DeclaratieDagtekening>{dag}</{m}:DeclaratieDagtekening>"
            + _amount(m, "TotaalIngediendBedrag", total, total=True)
            + f"{clients}</{m}:Declaratie>"
        )
        return body

    def _answer(
        self,
        agb: str,
        gemeente: str,
        declaration_id: str,
        declaration_dag: str,
        number: str,
        members: list[dict],
        answers: dict[str, dict],
    ) -> None:
        m = "jw325"
        dag = answers[members[0]["declaratienummer"]]["dagtekening"]
        clients, total, granted = self._clients(m, members, answers)
        accepted = (
            f"<{m}:RetourCodes><{m}:RetourCode>{ACCEPTED_CODE}</{m}:RetourCode></{m}:RetourCodes>"
        )
        extra = (
            f"<{m}:DeclaratieIdentificatie><ijw:Identificatie>{declaration_id}</ijw:Identificatie>"
            f"<ijw:Dagtekening>{declaration_dag}</ijw:Dagtekening></{m}:DeclaratieIdentificatie>"
            + f"<{m}:XsdVersieDeclaratie><ijw:BasisschemaXsdVersie>1.0.0</ijw:BasisschemaXsdVersie>"
            f"<ijw:BerichtXsdVersie>1.0.0</ijw:BerichtXsdVersie></{m}:XsdVersieDeclaratie>"
            + accepted
        )
        body = (
            f"<{m}:DeclaratieAntwoord><{m}:DeclaratieNummer>{number}</{m}:DeclaratieNummer>"
            + _amount(m, "TotaalIngediendBedrag", total, total=True)
            + _amount(m, "TotaalToegekendBedrag", granted, total=True)
            + f"{clients}{accepted}</{m}:DeclaratieAntwoord>"
        )
        self._write("JW325", gemeente, agb, dag, body, extra_header=extra)
