"""Column names: the headers analysts' files use, matched to ours (aliases, patterns, age bands)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Literal

TableKind = Literal["areas", "indicators", "services", "lookup"]


AGE_BANDS = ("pop_under_18", "pop_18_24", "pop_25_34", "pop_35_49", "pop_50_64", "pop_65_plus")


ADULT_BANDS = AGE_BANDS[1:]


BAND_LIMITS: dict[str, tuple[int, int | None]] = {
    "pop_under_18": (0, 17), "pop_18_24": (18, 24), "pop_25_34": (25, 34),
    "pop_35_49": (35, 49), "pop_50_64": (50, 64), "pop_65_plus": (65, None),
    "pop_adult": (18, None),
}


SINGLE_AGE = re.compile(r"^age_(\d+)(_plus)?$")


def normalise_header(text: object) -> str:
    """A header in a comparable form: 'LSOA code (2011)' -> 'lsoa_code_2011', '90+' -> '90_plus'."""
    value = str(text).strip().lstrip("\ufeff").lower()
    value = value.replace("+", " plus ").replace("%", " pct ").replace("&", " and ")
    value = value.replace("\u2013", "-").replace("\u2014", "-")
    return re.sub(r"[^a-z0-9]+", "_", value).strip("_")


_CODE = (
    "code", "area_code", "areacode", "area_cd", "lsoa_code", "lsoa11cd", "lsoa21cd", "lsoa11_code",
    "lsoa21_code", "lsoa_code_2011", "lsoa_code_2021", "lsoa_2011_code", "lsoa_2021_code", "lsoa",
    "lsoa11", "lsoa21", "msoa11cd", "msoa21cd", "msoa_code", "oa11cd", "oa21cd", "oa_code",
    "geography_code", "geo_code", "geogcode", "mnemonic", "feature_code", "small_area_code",
    "datazone", "data_zone", "data_zone_code", "datazone2011", "dz_code",
)


_NAME = (
    "name", "area_name", "areaname", "lsoa_name", "lsoa11nm", "lsoa21nm", "lsoa_name_2011",
    "lsoa_name_2021", "msoa11nm", "msoa21nm", "msoa_name", "geography_name", "area_nm",
    "feature_name",
)


_DISTRICT = (
    "district", "district_name", "lad_name", "local_authority", "local_authority_name", "la_name",
    "local_authority_district_name_2019", "local_authority_district_name", "borough",
)


ALIASES: dict[TableKind, dict[str, tuple[str, ...]]] = {
    "indicators": {
        "code": _CODE,
        "name": _NAME,
        "district": _DISTRICT,
        "town": ("town", "town_name", "nearest_town", "settlement"),
        "lot": ("lot", "contract_lot"),
        "sex": ("sex", "gender"),
        "pop_total": ("pop_total", "population", "pop", "total_population", "all_ages", "all_persons",
                      "all_people", "persons", "total", "usual_residents", "all_usual_residents",
                      "total_pop", "residents", "population_total"),
        "pop_male": ("pop_male", "male", "males", "men", "male_population", "population_male",
                     "all_males", "pop_males", "male_pop"),
        "pop_female": ("pop_female", "female", "females", "women", "female_population",
                       "population_female", "all_females", "pop_females", "female_pop"),
        "pop_adult": ("pop_adult", "adults", "adult_population", "pop_adults", "adult_pop",
                      "population_aged_18_and_over"),
        "pop_under_18": ("pop_under_18", "children", "under_18s"),
        "bme_share": ("bme_share", "bme", "bame", "bame_share", "bme_proportion", "bame_proportion",
                      "share_bme", "minority_ethnic_share", "ethnic_minority_share", "non_white_share",
                      "bme_fraction"),
        "bme_pct": ("bme_pct", "bme_percent", "bme_percentage", "bame_pct", "bame_percent", "pct_bme",
                    "percent_bme", "minority_ethnic_pct", "ethnic_minority_pct", "non_white_pct"),
        "pop_bme": ("pop_bme", "bme_population", "bme_count", "bame_population", "bame_count",
                    "minority_ethnic_population", "ethnic_minority_population", "bme_residents"),
        "imd_score": ("imd_score", "imd", "imd_2019_score", "imd19_score", "imd_score_2019",
                      "imd2019_score", "imd_2015_score", "index_of_multiple_deprivation_imd_score",
                      "index_of_multiple_deprivation_score", "deprivation_score", "imd_overall_score"),
        "imd_decile": ("imd_decile", "imd_2019_decile", "imd19_decile", "imd_decile_2019",
                       "deprivation_decile", "index_of_multiple_deprivation_imd_decile",
                       "imd_decile_where_1_is_most_deprived"),
        "smi_prevalence_pct": ("smi_prevalence_pct", "smi_prevalence", "smi_pct", "smi",
                               "smi_percent", "smi_rate", "serious_mental_illness_prevalence",
                               "severe_mental_illness_prevalence", "smi_prevalence_percent",
                               "mental_health_prevalence", "qof_mental_health_prevalence"),
        "cmd_prevalence_pct": ("cmd_prevalence_pct", "cmd_prevalence", "cmd_pct", "cmd",
                               "cmd_percent", "cmd_rate", "common_mental_disorder_prevalence",
                               "common_mental_disorders_prevalence",
                               "common_mental_health_disorder_prevalence"),
        "pwc_x": ("pwc_x", "pwc_easting", "pop_weighted_x", "population_weighted_centroid_x",
                  "centroid_x", "bng_e", "x", "easting"),
        "pwc_y": ("pwc_y", "pwc_northing", "pop_weighted_y", "population_weighted_centroid_y",
                  "centroid_y", "bng_n", "y", "northing"),
    },
    "services": {
        "service_id": ("service_id", "id", "service_ref", "ref", "reference", "service_code", "code"),
        "name": ("name", "service_name", "service", "name_of_service", "title"),
        "service_type": ("service_type", "type", "category", "model", "service_model", "kind"),
        "provider": ("provider", "provider_name", "organisation", "organization",
                     "organisation_name", "operator", "run_by"),
        "district": _DISTRICT,
        "town": ("town", "town_name", "nearest_town", "settlement"),
        "budget_gbp": ("budget_gbp", "budget", "annual_budget", "annual_budget_gbp",
                       "budget_per_year", "contract_value", "contract_value_gbp", "annual_cost",
                       "cost", "cost_gbp", "spend", "annual_spend", "funding", "total_budget",
                       "budget_total"),
        "budget_day_activity_gbp": ("budget_day_activity_gbp", "budget_day_activity",
                                    "day_activity_budget", "day_activity_gbp", "day_activity",
                                    "day_activity_and_support"),
        "budget_employment_gbp": ("budget_employment_gbp", "budget_employment", "employment_budget",
                                  "employment_gbp", "employment_support_budget"),
        "budget_mainstream_gbp": ("budget_mainstream_gbp", "budget_mainstream", "mainstream_budget",
                                  "mainstream_gbp", "mainstream_participation_budget"),
        "clients": ("clients", "clients_total", "number_of_clients", "no_of_clients",
                    "service_users", "users", "people", "people_supported", "attendees", "caseload"),
        "clients_female": ("clients_female", "female_clients", "clients_women", "women", "female"),
        "clients_18_24": ("clients_18_24", "clients_aged_18_24", "clients_aged_18_to_24",
                          "young_clients"),
        "clients_bme": ("clients_bme", "bme_clients", "clients_bame", "bame_clients"),
        "clients_over_50": ("clients_over_50", "clients_50_plus", "clients_aged_50_plus",
                            "clients_aged_over_50", "over_50s", "clients_50_and_over"),
        "clients_volunteered": ("clients_volunteered", "volunteered", "clients_volunteering"),
        "functions": ("functions", "function", "services_offered", "offers", "activities",
                      "what_it_offers"),
        "opening_days": ("opening_days", "open_days", "days", "days_open", "opening",
                         "opening_hours"),
        "locality_wide": ("locality_wide", "county_wide", "countywide", "borough_wide",
                          "locality_wide_service", "whole_locality", "serves_whole_locality"),
        "latitude": ("latitude", "lat", "wgs84_lat", "y_lat"),
        "longitude": ("longitude", "lon", "long", "lng", "wgs84_lon", "x_lon"),
        "easting": ("easting", "eastings", "bng_e", "os_easting", "east", "x", "x_coordinate"),
        "northing": ("northing", "northings", "bng_n", "os_northing", "north", "y", "y_coordinate"),
    },
    "lookup": {
        "old_code": ("old_code", "from_code", "code_2011", "lsoa11cd", "lsoa_code_2011",
                     "lsoa11_code", "msoa11cd", "oa11cd"),
        "new_code": ("new_code", "to_code", "code_2021", "lsoa21cd", "lsoa_code_2021",
                     "lsoa21_code", "msoa21cd", "oa21cd"),
    },
}


ALIASES["areas"] = ALIASES["indicators"]


ONS_CODE = re.compile(r"^[a-z]{2,6}_?(\d{2}|\d{4})_?(?:cd|code)$")
# Header shapes no fixed list covers (each tried after the fixed names above).
PATTERNS: dict[TableKind, tuple[tuple[str, re.Pattern[str]], ...]] = {
    "indicators": (
        ("code", re.compile(r"^(lsoa|msoa|oa|dz)_?\d{2,4}_?(cd|code)$")),
        ("code", re.compile(r"^(lsoa|msoa)_code_\d{4}$")),
        ("name", re.compile(r"^(lsoa|msoa)_?\d{2,4}_?(nm|name)$")),
        ("district", re.compile(r"^lad_?\d{2}_?nm$")),
        ("pop_total", re.compile(r"^(total_)?pop(ulation)?_(mid_)?(19|20)\d{2}$")),
        ("pop_total", re.compile(r"^total_population_mid")),
        ("imd_score", re.compile(r"^(imd|index_of_multiple_deprivation)(_imd)?_?(\d{2,4}_)?score(_\d{4})?$")),
        ("imd_decile", re.compile(r"^(imd|index_of_multiple_deprivation)(_imd)?_?(\d{2,4}_)?decile"
                                  r"(_\d{4})?(_where_1_is_most_deprived.*)?$")),
        # Any ONS geography's code or name column of any vintage: LAD13CD, WD22CD, CTYUA19NM, ...
        ("code", ONS_CODE),
        ("name", re.compile(r"^[a-z]{2,6}_?(\d{2}|\d{4})_?nm$")),
    ),
    "services": (),
    "lookup": (
        ("old_code", re.compile(r"^(lsoa|msoa|oa)_?(11|2011)_?(cd|code)$")),
        ("new_code", re.compile(r"^(lsoa|msoa|oa)_?(21|2021)_?(cd|code)$")),
    ),
}


PATTERNS["areas"] = PATTERNS["indicators"]


_AGE_BAND = re.compile(
    r"^(?:pop_|population_|people_|persons_)?(?:aged?_|ages_)?(\d{1,2})_(?:to_)?(\d{1,2})(?:_years?)?$")


_AGE_UNDER = re.compile(r"^(?:pop_|population_)?(?:aged?_)?under_(\d{1,2})(?:_years?)?$")


_AGE_OPEN = re.compile(
    r"^(?:pop_|population_|people_|persons_)?(?:aged?_|ages_)?(\d{1,2})_?"
    r"(?:plus|and_over|and_older|or_over|over|years_and_over|years_plus)$")


_AGE_SINGLE = re.compile(r"^(?:aged?_)?(\d{1,2})(?:_years?)?$")


def age_column(normalised: str) -> str | None:
    """Our name for an age header: one of our bands, ``age_N`` or ``age_N_plus``, or None."""
    bands = {limits: name for name, limits in BAND_LIMITS.items()}
    match = _AGE_BAND.match(normalised)
    if match:
        return bands.get((int(match.group(1)), int(match.group(2))))
    match = _AGE_UNDER.match(normalised)
    if match:
        return bands.get((0, int(match.group(1)) - 1))
    match = _AGE_OPEN.match(normalised)
    if match:
        low = int(match.group(1))
        return bands.get((low, None)) or f"age_{low}_plus"
    match = _AGE_SINGLE.match(normalised)
    if match:
        return f"age_{int(match.group(1))}"
    return None


def match_column(header: object, kind: TableKind) -> str | None:
    """Our column name for one header of a ``kind`` table, or None when we do not know it."""
    normalised = normalise_header(header)
    if not normalised:
        return None
    for name, aliases in ALIASES[kind].items():
        if normalised in aliases:
            return name
    for name, pattern in PATTERNS[kind]:
        if pattern.match(normalised):
            return name
    if kind in ("indicators", "areas"):
        return age_column(normalised)
    return None


def _rank(normalised: str, name: str, kind: TableKind) -> int:
    """How specific a header is for column ``name``: its place among the aliases, then among the patterns."""
    aliases = ALIASES[kind].get(name, ())
    if normalised in aliases:
        return aliases.index(normalised)
    patterns = [pattern for target, pattern in PATTERNS[kind] if target == name]
    return len(aliases) + next((i for i, p in enumerate(patterns) if p.match(normalised)), len(patterns))


def _codes_by_vintage(header: Sequence[str], chosen: dict[int, str]) -> dict[int, str]:
    """A lookup's old and new code columns by their years (LAD13CD -> LAD19CD), when the aliases found neither."""
    dated = []
    for position, text in enumerate(header):
        match = ONS_CODE.match(normalise_header(text))
        if position not in chosen and match:
            year = int(match.group(1))
            dated.append((year + (2000 if year < 100 else 0), position))
    if len({year for year, _ in dated}) < 2:
        return {}
    return {min(dated)[1]: "old_code", max(dated)[1]: "new_code"}


def map_columns(header: Sequence[str], kind: TableKind,
                explicit: Mapping[str, str] | None = None) -> dict[int, str]:
    """Which file column becomes which of ours (position -> name).

    ``explicit`` (header as written -> our name) wins; otherwise each header goes through
    :func:`match_column`. When several headers could be the same column of ours, the one
    whose alias comes first in :data:`ALIASES` wins (``LSOA11CD`` over a bare ``lsoa``).
    """
    explicit_norm = {normalise_header(k): v for k, v in (explicit or {}).items()}
    chosen: dict[int, str] = {}
    taken: set[str] = set()
    for position, text in enumerate(header):
        target = explicit_norm.get(normalise_header(text))
        if target:
            chosen[position] = target
            taken.add(target)
    candidates: dict[str, list[tuple[int, int]]] = {}
    for position, text in enumerate(header):
        if position in chosen or not text:
            continue
        name = match_column(text, kind)
        if name is None or name in taken:
            continue
        candidates.setdefault(name, []).append((_rank(normalise_header(text), name, kind), position))
    for name, options in candidates.items():
        chosen[min(options)[1]] = name
    if kind == "lookup" and not {"old_code", "new_code"} & set(chosen.values()):
        chosen.update(_codes_by_vintage(header, chosen))
    return dict(sorted(chosen.items()))


def alias_table() -> str:
    """The accepted header names for each of our columns, as plain text (for docs and CLI)."""
    lines = ["Headers are matched case-insensitively, ignoring spaces and punctuation."]
    for kind in ("indicators", "services", "lookup"):
        lines.append(f"\n[{kind}]")
        for name, aliases in ALIASES[kind].items():
            lines.append(f"  {name}: {', '.join(aliases)}")
        for name, pattern in PATTERNS[kind]:
            lines.append(f"  {name}: also headers matching {pattern.pattern}")
    lines.append("\n[indicators] age: '18-24', 'Aged 18 to 24', 'pop_18_24', '65+', 'Aged 65 and over',"
                 " 'under 18', '18+' (adults), and single years '0' ... '89' with an open top "
                 "band such as '90+' (summed into our bands)")
    return "\n".join(lines)
