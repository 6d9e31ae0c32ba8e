"""One region, however the documents spell it: "Castilla y'Leon" (ES41) and "Castilla y León",
"Stereia Ellada" (EL24) and "Sterea Ellada", listed once with all their roles and sources.

Mentions are the same region when (first) they carry the same NUTS code and their names agree
(match each other, or both match the code's official name: the NUTS check's own rule, so one
code given to Lapland and North Karelia stays two regions, as the check flags it), or (then)
their names match each other despite a typo (the NUTS check's word-by-word rapidfuzz score)
and their countries do not differ. A name that would join two different regions ("Karelia":
North or South?) joins neither.

The row shows one spelling a document used — the one closest to the official name when the
code is known, else the most written — and every mention keeps its own quote, so the
document's spelling is still there to read.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

from .models import Region, RegionRole, SourceRef
from .nuts import country_code
from .query import fold

if TYPE_CHECKING:  # the NUTS data and rapidfuzz load only when regions are listed
    from .nuts_table import NutsTable, NutsUnit

ROLE_ORDER: tuple[RegionRole, ...] = ("leading", "participating", "partner", "mentioned")


@dataclass(frozen=True, slots=True, kw_only=True)
class RegionGroup:
    """The mentions of one region; `name` is the spelling shown."""

    name: str
    mentions: tuple[Region, ...]

    @property
    def spellings(self) -> list[str]:
        """Every spelling the documents use, the shown one first."""
        return list(dict.fromkeys([self.name, *(r.name for r in self.mentions)]))

    @property
    def roles(self) -> list[RegionRole]:
        """Its roles, leading first; "mentioned" only when the documents give it no other."""
        held = {r.role for r in self.mentions}
        roles = [role for role in ROLE_ORDER if role in held]
        return [r for r in roles if r != "mentioned"] or roles

    @property
    def role(self) -> RegionRole:
        return self.roles[0]

    @property
    def codes(self) -> list[str]:
        """The NUTS codes written for it, most written first."""
        counts = Counter(r.nuts for r in self.mentions if r.nuts)
        return [code for code, _ in counts.most_common()]

    @property
    def nuts(self) -> str | None:
        return self.codes[0] if self.codes else None

    @property
    def country(self) -> str | None:
        counts = Counter(r.country for r in self.mentions if r.country)
        return counts.most_common(1)[0][0] if counts else None

    @property
    def sources(self) -> list[SourceRef]:
        return list(dict.fromkeys(r.source for r in self.mentions))


def group_regions(regions: Sequence[Region]) -> list[RegionGroup]:
    """The regions listed once each, in first-mention order (see the module docstring)."""
    table = _table()
    clusters: list[list[Region]] = []
    by_name: dict[str, int] = {}  # folded spelling -> its (latest) cluster
    for region in regions:
        key = fold(region.name)
        if key in by_name and _compatible(region, clusters[by_name[key]]):
            clusters[by_name[key]].append(region)
            continue
        coded = [i for i, c in enumerate(clusters)
                 if region.nuts and _same_code_region(region, c, table)]
        named = {i for i, c in enumerate(clusters)
                 if _compatible(region, c) and any(_same_name(region.name, o.name) for o in c)}
        chosen = coded[:1] or (list(named) if len(named) == 1 else [])
        if chosen:
            clusters[chosen[0]].append(region)
            by_name[key] = chosen[0]
        else:
            by_name[key] = len(clusters)
            clusters.append([region])
    return [RegionGroup(name=_shown_name(c, table), mentions=tuple(c)) for c in clusters]


def _same_code_region(region: Region, cluster: list[Region], table: NutsTable | None) -> bool:
    """Another mention with this code whose name agrees with this one."""
    from .nuts_check import MATCH, matches_unit, name_score

    unit = table.lookup(region.nuts) if table is not None and region.nuts else None
    for other in cluster:
        if other.nuts != region.nuts:
            continue
        if name_score(region.name, other.name) >= MATCH:
            return True
        if unit is not None and matches_unit(region.name, unit) and matches_unit(other.name, unit):
            return True
    return False


def _same_name(a: str, b: str) -> bool:
    """Spellings of one name: every word matches, typos allowed ("Stereia Ellada" ~ "Sterea
    Ellada"; a country word aside: "Cenrto Portugal" ~ "Centro"). A name inside a longer one
    is another region ("León" is not "Castilla y León")."""
    from .nuts_check import MATCH, name_score

    return (len(_name_words(a)) == len(_name_words(b))
            and max(name_score(a, b), name_score(b, a)) >= MATCH)


def _name_words(name: str) -> list[str]:
    words = fold(name).split()
    return [w for w in words if country_code(w) is None] or words


def _compatible(region: Region, cluster: list[Region]) -> bool:
    """No country in the cluster differs from the region's."""
    return region.country is None or all(o.country in (None, region.country) for o in cluster)


def _shown_name(cluster: list[Region], table: NutsTable | None) -> str:
    """The spelling nearest the official name of the cluster's code, else the most written."""
    counts = Counter(r.name for r in cluster)
    order = {name: i for i, name in enumerate(dict.fromkeys(r.name for r in cluster))}
    unit = _official_unit(cluster, table)
    if unit is not None:
        from rapidfuzz import fuzz

        from .nuts_check import unit_score

        def closeness(name: str) -> tuple[float, float, int, int]:
            exact = max(fuzz.ratio(name, form) for form in unit.names())
            return unit_score(name, unit), exact, counts[name], -order[name]

        return max(counts, key=closeness)
    return max(counts, key=lambda name: (counts[name], -order[name]))


def _official_unit(cluster: list[Region], table: NutsTable | None) -> NutsUnit | None:
    """The unit of the cluster's most written code, or, for a code in no NUTS version, the one
    unit whose official name matches (EL24 -> Sterea Elláda, EL64)."""
    if table is None:
        return None
    from .nuts_check import best_unit

    codes = Counter(r.nuts for r in cluster if r.nuts)
    if not codes:
        return None
    code = codes.most_common(1)[0][0]
    unit = table.lookup(code)
    if unit is not None:
        return unit
    return best_unit(cluster[0].name, table, country=code[:2], level=len(code) - 2)


def _table() -> NutsTable | None:
    """The official NUTS table, or None without its data (then names alone decide)."""
    from .nuts_table import NutsDataError, load_nuts_table

    try:
        return load_nuts_table()
    except NutsDataError:
        return None
