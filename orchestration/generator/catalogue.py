"""Static reference data the generator draws from (REFERENCE_DATA.md, DEFINITIONS §3).

Product codes, categories, units and frequencies follow the default product catalogue and the
iJw code lists. Volumes, durations, tariffs, provider portfolios, population weights and trends
are illustrative demo values chosen so the indicators have something to show: targets met in
some regions and missed in others.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Units (WJ756) and frequencies (WMO757), REFERENCE_DATA "iJw 3.2 code lists".
MINUTE, HOUR, ETMAAL, DAGDEEL = "01", "04", "14", "16"
STUKS_OUTPUT, EURO, STUKS_INSPANNING = "82", "83", "84"
PER_DAY, PER_WEEK, PER_MONTH, TOTAL = "1", "2", "4", "6"

# "time" products are billed per hour or per minute, depending on the provider.
TIME = "time"

NOT_JEUGDHULP_CATEGORIES = ("42", "47", "48", "49")  # REFERENCE_DATA "Counts as jeugdhulp"
UNDECLARED_CATEGORIES = ("47", "48", "49")  # justice: allocations only, no declarations


@dataclass(frozen=True)
class Product:
    """One row of the default product catalogue plus the generator's delivery profile."""

    code: str
    category: str
    hulpvorm: str
    unit: str  # an eenheid code, or TIME
    frequency: str
    volume: tuple[int, int]  # granted volume per frequency period (hours for TIME products)
    days: tuple[int, int]  # planned duration of one allocation
    tariff_cents: int  # per unit (per hour for TIME products), 2020 price level
    weight: float  # share as a client's main product (0: only as a companion)
    p_open: float  # chance of an open-ended allocation
    duration_skew: float  # > 1 favours short allocations
    trend_group: str

    @property
    def jeugdhulp(self) -> bool:
        return self.category not in NOT_JEUGDHULP_CATEGORIES

    @property
    def declared(self) -> bool:
        return self.category not in UNDECLARED_CATEGORIES


_T, _W, _M, _TOT = TIME, PER_WEEK, PER_MONTH, TOTAL
# fmt: off
_PRODUCT_ROWS = (
    # code, cat, hulpvorm, unit, freq, volume, days, tariff, weight, p_open, skew, trend group
    ("40A01", "40", "verzorging", _T, _W, (2, 6), (150, 450), 5800, 1.5, 0.1, 1.0, "ambulant"),
    ("41A01", "41", "dagbehandeling", DAGDEEL, _W, (2, 8), (240, 720), 9500, 2.0, 0.06, 1.0,
     "ambulant"),
    ("41B01", "41", "begeleiding", DAGDEEL, _W, (2, 6), (240, 720), 5200, 2.0, 0.1, 1.0,
     "ambulant"),
    ("42A01", "42", "vervoer", STUKS_INSPANNING, _W, (4, 10), (240, 720), 2400, 0.0, 0.1, 1.0,
     "vervoer"),
    ("43A01", "43", "verblijf", ETMAAL, _W, (7, 7), (150, 900), 33000, 3.0, 0.1, 1.0,
     "verblijf"),
    ("43B01", "43", "verblijf", ETMAAL, _W, (7, 7), (60, 300), 52000, 0.6, 0.02, 1.0,
     "verblijf"),
    ("44A01", "44", "verblijf", ETMAAL, _W, (7, 7), (365, 1460), 5200, 2.5, 0.45, 1.0, "wonen"),
    ("44B01", "44", "verblijf", ETMAAL, _W, (7, 7), (365, 1095), 16500, 1.0, 0.3, 1.0, "wonen"),
    ("45A01", "45", "begeleiding", _T, _W, (1, 4), (180, 720), 6600, 14.0, 0.1, 1.0,
     "ambulant"),
    ("45A02", "45", "begeleiding", _T, _W, (2, 6), (180, 540), 2600, 4.0, 0.1, 1.0, "ambulant"),
    ("45A03", "45", "begeleiding", _T, _W, (4, 10), (150, 450), 7600, 5.0, 0.05, 1.0,
     "ambulant"),
    ("45A04", "45", "begeleiding", _T, _W, (1, 4), (365, 1095), 6600, 3.0, 0.45, 1.0,
     "duurzaam"),
    ("45B01", "45", "behandeling", _T, _W, (1, 3), (150, 540), 9800, 12.0, 0.05, 1.0,
     "ambulant"),
    ("45C01", "45", "behandeling", _T, _W, (4, 12), (90, 240), 11500, 2.5, 0.02, 1.0,
     "ambulant_alternatief"),
    ("45D01", "45", "dyslexie", STUKS_OUTPUT, _TOT, (30, 50), (300, 540), 9200, 6.0, 0.0, 1.0,
     "ambulant"),
    ("45S01", "45", "screening", _T, _TOT, (3, 8), (14, 60), 9800, 6.0, 0.0, 1.0, "ambulant"),
    ("45V01", "45", "behandeling", _T, _W, (1, 2), (90, 300), 8800, 2.5, 0.02, 1.0, "ambulant"),
    ("46A01", "46", "crisis", ETMAAL, _TOT, (0, 0), (3, 70), 45000, 2.0, 0.0, 2.0, "crisis"),
    ("47A01", "47", "jeugdreclassering", STUKS_INSPANNING, _M, (1, 1), (180, 540), 0, 0.0, 0.1,
     1.0, "justitie"),
    ("48A01", "48", "jeugdbescherming", STUKS_INSPANNING, _M, (1, 1), (365, 1095), 0, 0.0, 0.15,
     1.0, "justitie"),
    ("50A01", "50", "maatwerk", EURO, _M, (400, 2500), (180, 540), 100, 2.0, 0.1, 1.0,
     "maatwerk"),
    ("51A01", "51", "behandeling", _T, _TOT, (5, 12), (120, 365), 9500, 8.0, 0.0, 1.0, "ggz"),
    ("52A01", "52", "behandeling", _T, _W, (1, 2), (180, 720), 12000, 8.0, 0.04, 1.0, "ggz"),
    ("53A01", "53", "behandeling", _T, _TOT, (4, 10), (60, 240), 11000, 1.0, 0.0, 1.0,
     "ambulant"),
    ("54A01", "54", "behandeling", _T, _W, (2, 5), (180, 540), 13000, 3.0, 0.04, 1.0, "ggz"),
    ("55A01", "55", "behandeling", ETMAAL, _W, (7, 7), (120, 540), 60000, 0.5, 0.05, 1.0,
     "verblijf"),
)
# fmt: on
PRODUCTS: tuple[Product, ...] = tuple(Product(*row) for row in _PRODUCT_ROWS)
PRODUCT_INDEX = {p.code: i for i, p in enumerate(PRODUCTS)}
N_PRODUCTS = len(PRODUCTS)

# Start-of-care norms in days by hulpvorm (REFERENCE_DATA "Start-of-care norms"); hulpvormen
# without a norm there get a plausible one for the waiting-time draw.
START_NORM_DAYS = {
    "verblijf": 42,
    "dyslexie": 42,
    "behandeling": 98,
    "dagbehandeling": 98,
    "begeleiding": 14,
    "verzorging": 14,
    "screening": 28,
    "maatwerk": 28,
    "crisis": 0,
    "vervoer": 0,
    "jeugdreclassering": 0,
    "jeugdbescherming": 0,
}

# Reden beëindiging (JZ588): 31 = volgens plan; the rest are premature or other endings.
END_ACCORDING_TO_PLAN = "31"
END_OTHER_CODES = ("32", "33", "34", "35", "36", "37", "38", "39")
END_OTHER_WEIGHTS = (0.25, 0.12, 0.25, 0.08, 0.08, 0.05, 0.12, 0.05)

# Verwijzer (COD327) for care products and for justice products (47, 48).
REFERRER_CODES = ("01", "02", "03", "04", "05", "06", "08")
REFERRER_WEIGHTS_CARE = (0.45, 0.30, 0.08, 0.04, 0.08, 0.04, 0.01)
REFERRER_WEIGHTS_JUSTICE = (0.05, 0.0, 0.0, 0.60, 0.0, 0.0, 0.35)

# Reden wijziging on later versions of an allocation. The contract (DEFINITIONS §2) does not fix
# the code list; these demo codes are only carried along, never interpreted downstream.
CHANGE_EXTENDED = "02"
CHANGE_SHORTENED = "03"
CHANGE_WITHDRAWN = "13"

# ------------------------------------------------------------------------------ regions
REGIONS = ("Twente", "Noord-Limburg", "Lekstroom")

# (CBS gemeentecode, name, region index, inhabitants in thousands: client weight)
MUNICIPALITIES: tuple[tuple[str, str, int, float], ...] = (
    ("0141", "Almelo", 0, 74.0),
    ("0147", "Borne", 0, 24.0),
    ("1774", "Dinkelland", 0, 26.5),
    ("0153", "Enschede", 0, 160.0),
    ("0158", "Haaksbergen", 0, 24.5),
    ("0163", "Hellendoorn", 0, 36.5),
    ("0164", "Hengelo", 0, 81.5),
    ("1735", "Hof van Twente", 0, 35.0),
    ("0168", "Losser", 0, 22.5),
    ("0173", "Oldenzaal", 0, 32.0),
    ("1742", "Rijssen-Holten", 0, 38.5),
    ("0183", "Tubbergen", 0, 21.5),
    ("1700", "Twenterand", 0, 34.0),
    ("0189", "Wierden", 0, 25.0),
    ("0889", "Beesel", 1, 13.5),
    ("0893", "Bergen (L.)", 1, 13.0),
    ("0907", "Gennep", 1, 17.0),
    ("1507", "Horst aan de Maas", 1, 43.0),
    ("1894", "Peel en Maas", 1, 44.0),
    ("0983", "Venlo", 1, 102.0),
    ("0984", "Venray", 1, 44.5),
    ("0321", "Houten", 2, 50.0),
    ("0353", "IJsselstein", 2, 34.5),
    ("0331", "Lopik", 2, 14.5),
    ("0356", "Nieuwegein", 2, 64.0),
    ("1961", "Vijfheerenlanden", 2, 58.0),
)
GEMEENTE_CODES = tuple(m[0] for m in MUNICIPALITIES)
GEMEENTE_REGION = np.array([m[2] for m in MUNICIPALITIES], dtype=np.int64)
GEMEENTE_WEIGHTS = np.array([m[3] for m in MUNICIPALITIES], dtype=np.float64)

# Yearly growth of a product group's share of new care, per region. Twente builds residential
# care down and ambulant alternatives up; Noord-Limburg stays flat on verblijf and grows
# maatwerk/duurzaam; Lekstroom drifts upwards.
TRENDS: dict[str, dict[str, float]] = {
    "Twente": {"verblijf": -0.12, "ambulant_alternatief": 0.15, "ambulant": -0.03},
    "Noord-Limburg": {
        "verblijf": 0.0,
        "ambulant_alternatief": 0.04,
        "maatwerk": 0.10,
        "duurzaam": 0.06,
        "ggz": -0.02,
    },
    "Lekstroom": {"verblijf": 0.04, "wonen": 0.03, "crisis": -0.05, "ambulant": 0.02},
}


def late_start_probability(region: np.ndarray, year_offset: np.ndarray) -> np.ndarray:
    """Chance that care starts after the hulpvorm's norm (waiting lists; DEFINITIONS §6)."""
    twente = np.full(region.shape, 0.10)
    noord_limburg = np.maximum(0.32 - 0.04 * year_offset, 0.06)
    lekstroom = np.minimum(0.16 + 0.01 * year_offset, 0.4)
    return np.choose(region, [twente, noord_limburg, lekstroom])


def according_to_plan_probability(region: np.ndarray, year_offset: np.ndarray) -> np.ndarray:
    """Chance that an ended allocation ends 'volgens plan' (31)."""
    twente = np.full(region.shape, 0.80)
    noord_limburg = np.minimum(0.64 + 0.035 * year_offset, 0.92)
    lekstroom = np.full(region.shape, 0.74)
    return np.choose(region, [twente, noord_limburg, lekstroom])


# Age (in whole years, 0-17) at the first allocation.
AGE_WEIGHTS = np.array(
    [1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 8.5, 8.5, 8.5, 8.0, 8.0, 8.0, 7.5, 7.0, 6.0]
)


def age_band(age_years: np.ndarray) -> np.ndarray:
    """0: 0-5, 1: 6-12, 2: 13 and older."""
    return np.where(age_years < 6, 0, np.where(age_years < 13, 1, 2))


AGE_MULTIPLIERS: dict[str, tuple[float, float, float]] = {
    "45D01": (0.0, 3.0, 0.2),
    "43B01": (0.0, 0.5, 2.0),
    "43A01": (0.5, 1.0, 1.4),
    "45C01": (0.5, 1.0, 1.3),
    "51A01": (0.3, 1.0, 1.3),
    "52A01": (0.3, 1.0, 1.3),
    "54A01": (0.2, 0.8, 1.6),
    "53A01": (3.0, 1.0, 0.3),
    "40A01": (2.0, 1.0, 0.5),
    "41A01": (2.5, 1.0, 0.5),
}

# ------------------------------------------------------------------------------ providers
# (kind, how many, AGB prefix, products, bills time in minutes, how many declare per week,
#  market weight of the kind's largest provider)
# Most providers declare one line per month; the weekly ones one line per week, cut at month
# ends (an iJw declaration period always lies within one month).
# fmt: off
_PROVIDER_KINDS: tuple[tuple[str, int, str, tuple[str, ...], bool, int, float], ...] = (
    ("verblijf", 4, "98", ("43A01", "43B01", "44B01", "45C01", "46A01", "55A01"), False, 0, 1.0),
    ("pleegzorg", 2, "98", ("44A01", "44B01"), False, 0, 1.0),
    ("ggz", 6, "06", ("51A01", "52A01", "54A01", "45B01", "45V01", "45S01", "53A01"), True, 3,
     1.0),
    ("ambulant", 10, "98", ("45A01", "45A02", "45A03", "45A04", "45B01", "45S01", "40A01",
                            "50A01", "45C01"), False, 3, 1.0),
    ("dagbehandeling", 3, "98", ("41A01", "41B01", "45A02"), False, 1, 1.0),
    ("dyslexie", 3, "94", ("45D01",), True, 0, 1.0),
    ("vervoer", 2, "41", ("42A01",), False, 0, 1.0),
    ("gecertificeerde instelling", 2, "98", ("47A01", "48A01"), False, 0, 1.0),
    ("zelfstandige", 4, "90", ("45A01", "45V01", "50A01", "40A01"), False, 4, 0.2),
)
# fmt: on


@dataclass(frozen=True)
class Providers:
    agb: tuple[str, ...]
    bills_minutes: np.ndarray  # bool per provider
    declares_weekly: np.ndarray  # bool per provider
    tariff_factor: np.ndarray  # float per provider
    # cumulative choice table over providers for each (region, product)
    cumulative: np.ndarray  # shape (len(REGIONS) * N_PRODUCTS, n_providers)


def build_providers() -> Providers:
    """A few dozen providers with portfolios, regions served and a skewed market share.

    The first provider of each kind is large and serves every region, so every product can be
    delivered everywhere; the others serve one region each. The smallest ones of a kind are
    the ones that declare per week.
    """
    agb: list[str] = []
    minutes: list[bool] = []
    weekly: list[bool] = []
    weights = np.zeros((len(REGIONS), N_PRODUCTS, sum(k[1] for k in _PROVIDER_KINDS)))
    number = 0
    for kind_no, kind in enumerate(_PROVIDER_KINDS):
        _, count, prefix, codes, bills_minutes, n_weekly, scale = kind
        for j in range(count):
            serial = (kind_no * 7919 + j * 104_729 + 31_337) % 900_000 + 100_000
            agb.append(f"{prefix}{serial:06d}")
            minutes.append(bills_minutes)
            weekly.append(j >= count - n_weekly)
            regions = range(len(REGIONS)) if j == 0 else (((j - 1) % len(REGIONS)),)
            size = scale / (j + 1) ** 0.7
            for region in regions:
                for code in codes:
                    weights[region, PRODUCT_INDEX[code], number] = size
            number += 1
    if len(set(agb)) != len(agb):
        raise AssertionError("provider AGB codes must be unique")
    n = len(agb)
    factor = 0.92 + 0.16 * ((np.arange(n) * 0.618034) % 1.0)
    cum = np.cumsum(weights, axis=-1)
    cum = cum / cum[..., -1:]
    cum[..., -1] = 1.0
    return Providers(
        agb=tuple(agb),
        bills_minutes=np.array(minutes, dtype=bool),
        declares_weekly=np.array(weekly, dtype=bool),
        tariff_factor=factor,
        cumulative=cum.reshape(len(REGIONS) * N_PRODUCTS, n),
    )


def tariff_index(year: np.ndarray) -> np.ndarray:
    """Yearly price indexation, 3.5% a year from the 2020 price level."""
    return 1.035 ** (np.asarray(year, dtype=np.float64) - 2020.0)


# Products of Noord-Limburg segment "4 Ambulant" (REFERENCE_DATA default catalogue, seed column
# segment_noord_limburg): providers send an outcome report ("doelrealisatie") when they end.
SEGMENT_4_CODES = (
    "40A01",
    "45A01",
    "45A02",
    "45A03",
    "45A04",
    "45B01",
    "45D01",
    "45S01",
    "45V01",
    "50A01",
    "51A01",
    "52A01",
    "53A01",
    "54A01",
)
