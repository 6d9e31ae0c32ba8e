"""Country names and codes as NUTS writes them (Greece is EL, the United Kingdom UK)."""

from __future__ import annotations

import re

# ISO 3166 alpha-2 codes that NUTS spells differently.
_NUTS_SPELLING = {"GR": "EL", "GB": "UK"}

_COUNTRIES: dict[str, str] = {}
for _code, _names in {
    "AT": "Austria Österreich Austrian", "BE": "Belgium Belgique België Bélgica Belgien",
    "BG": "Bulgaria", "CH": "Switzerland Schweiz Suiza", "CY": "Cyprus Chipre",
    "CZ": "Czechia|Czech Republic|Chequia|República Checa|Tschechien",
    "DE": "Germany Deutschland Alemania Saksa", "DK": "Denmark Dinamarca Dänemark Tanska",
    "EE": "Estonia Viro", "EL": "Greece Grecia Kreikka Griechenland Hellas Ελλάδα",
    "ES": "Spain España Espanja Spanien", "FI": "Finland Finlandia Suomi Finnland",
    "FR": "France Francia Ranska Frankreich", "HR": "Croatia Croacia Kroatien",
    "HU": "Hungary Hungría Unkari Ungarn", "IE": "Ireland Irlanda Irland",
    "IS": "Iceland Islandia Islanti", "IT": "Italy Italia Italien",
    "LT": "Lithuania Lituania Liettua Litauen", "LU": "Luxembourg Luxemburgo Luxemburg",
    "LV": "Latvia Letonia Latvija Lettland", "MT": "Malta",
    "NL": "Netherlands|The Netherlands|Países Bajos|Alankomaat|Niederlande",
    "NO": "Norway Noruega Norja Norwegen", "PL": "Poland Polonia Puola Polen Polska",
    "PT": "Portugal Portugali", "RO": "Romania Rumanía Romania Rumänien",
    "SE": "Sweden Suecia Ruotsi Schweden Sverige", "SI": "Slovenia Eslovenia Slovenien Slowenien",
    "SK": "Slovakia Eslovaquia Slovakia Slowakei", "UK": "United Kingdom|UK|Great Britain|England",
}.items():
    for _name in (_names.split("|") if "|" in _names else _names.split()):
        _COUNTRIES[_name.lower()] = _code

NUTS_RE = re.compile(r"^[A-Z]{2}[0-9A-Z]{0,3}$")


def nuts_country(code: str) -> str:
    """'GR' -> 'EL': the country prefix NUTS codes use."""
    code = code.upper()
    return _NUTS_SPELLING.get(code, code)


def country_code(name: str) -> str | None:
    """'Finland' -> 'FI', 'Greece' -> 'EL', 'FI' -> 'FI'; None for anything else."""
    name = name.strip().strip(".,;()").strip()
    if re.fullmatch(r"[A-Z]{2}", name):
        code = nuts_country(name)
        return code if code in _COUNTRIES.values() else None
    return _COUNTRIES.get(name.lower())


def is_nuts(code: str, country: str | None = None) -> bool:
    """A NUTS code (2 letters + up to 3 alphanumerics, at least one digit after the country
    unless it is the bare country), matching the country when one is given."""
    if not NUTS_RE.fullmatch(code) or code[:2] not in _COUNTRIES.values():
        return False
    return country is None or code[:2] == nuts_country(country)


def country_names() -> list[str]:
    return sorted(_COUNTRIES, key=len, reverse=True)
