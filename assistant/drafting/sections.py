"""The sections of the six-monthly Thematic S3 Partnership Monitoring Progress Report, in the
template's order, with what each is built from.

Narrative sections carry their retrieval queries here, worded like the template's own prompts
(the reports answer those prompts, so the prompt's words are what the answers sit under).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import AssistantError
from .models import SectionKind

REPORT_TITLE = "Thematic S3 Partnership Monitoring Progress Report"


class UnknownSectionError(AssistantError):
    """A section name that the report template does not have."""

    def __init__(self, name: str) -> None:
        super().__init__(f"unknown report section '{name}': choose one of {', '.join(SECTIONS)}")
        self.name = name


@dataclass(frozen=True, slots=True, kw_only=True)
class SectionSpec:
    name: str
    title: str
    description: str  # one line, shown in help texts and given to the LLM writer as the task
    kind: SectionKind
    queries: tuple[str, ...] = ()  # retrieval queries (narrative and composite sections)
    max_items: int = 4  # sentences/bullets selected for the prose part


_SPECS = (
    SectionSpec(
        name="summary", title="Executive summary and objectives", kind="narrative",
        description="What the partnership is, its background, aims and objectives.",
        queries=("executive summary and objectives of the mining industry partnership",
                 "aims of the partnership", "focus area and background of the partnership"),
        max_items=5),
    SectionSpec(
        name="leading-regions", title="Leading regions", kind="table",
        description="The regions leading the partnership, with country and NUTS code."),
    SectionSpec(
        name="participating-regions", title="Participating regions", kind="table",
        description="The participating regions: name (country) and NUTS code."),
    SectionSpec(
        name="working-areas", title="Working areas", kind="table",
        description="The partnership's working areas, the region in charge and their status."),
    SectionSpec(
        name="past-events", title="Past meetings, workshops and dissemination activities",
        kind="table", description="Events held in the reporting period: event, date, place."),
    SectionSpec(
        name="planned-events", title="Planned meetings, workshops and dissemination activities",
        kind="table", description="Events planned after the reporting period: event, date, place."),
    SectionSpec(
        name="results", title="Innovative results and socio-economic impacts", kind="narrative",
        description="Innovative results and achievements attributable to the partnership, and "
                    "the short- and medium-term socio-economic impacts achieved or expected.",
        queries=("innovative results and achievements of the partnership",
                 "tangible socio-economic impacts achieved or expected",
                 "interregional initiatives supporting regional investments")),
    SectionSpec(
        name="collaboration", title="Collaboration with other partnerships and S3 platforms",
        kind="narrative",
        description="Results of working with other partnerships under the thematic S3 "
                    "Platforms, and joint activities and projects with them.",
        queries=("collaboration with other partnerships under the thematic S3 platforms",
                 "inter-partnership collaborative results joint activities",
                 ("projects with partnerships of other S3 thematic platforms energy agrifood "
                  "industrial modernisation"))),
    SectionSpec(
        name="business-involvement", title="Involvement of the business sector",
        kind="narrative",
        description="How clusters, SMEs, business associations, chambers of commerce and "
                    "Digital Innovation Hubs are involved in the partnership's activities.",
        queries=(("involvement of the business sector clusters SMEs business associations "
                  "chambers of commerce"),
                 "Digital Innovation Hubs DIH role",
                 "industry companies match-making value chain operators")),
    SectionSpec(
        name="outreach", title="Publications and communication activities", kind="composite",
        description="Promotion of the partnership through publications, presentations, "
                    "webinars and other communication and outreach activities.",
        queries=(("advancement and promotion of the partnership through publications and "
                  "communication outreach activities"),
                 "presentation webinar workshop dissemination of the partnership",
                 "introductions of the partnership"),
        max_items=5),
    SectionSpec(
        name="report", title=REPORT_TITLE, kind="composite",
        description="All sections of the report, in template order, with one sources list."),
)

SECTIONS: dict[str, SectionSpec] = {spec.name: spec for spec in _SPECS}


def section_spec(name: str) -> SectionSpec:
    """The spec of a section by name (case and surrounding blanks ignored)."""
    spec = SECTIONS.get(name.strip().lower())
    if spec is None:
        raise UnknownSectionError(name)
    return spec


def report_parts() -> list[SectionSpec]:
    """The sections a full report is made of, in template order."""
    return [spec for spec in _SPECS if spec.name != "report"]
