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


MANAGEMENT = "I. Management report"
PROGRESS = "II. Progress report"
HEADER = "header"
INNOVATIVE = "Innovative results"
COLLABORATIVE = "Inter-regional and inter-partnership collaborative results"
NEW_ACTIVITIES = "New activities"
SDG_GROUP = "Your Partnership and the UN 2030 Sustainable Development Goals (SDGs)"
SDG_INTRO = ("The EU has a strong position when it comes to sustainable development and is also "
             "fully committed to be a frontrunner in implementing the UN's 2030 Agenda, together "
             "with its member countries and regions. Many interregional partnerships under the "
             "thematic S3 Platforms contribute strongly to the attainment of these 17 goals.")


@dataclass(frozen=True, slots=True, kw_only=True)
class SectionSpec:
    name: str
    title: str
    description: str  # one line, shown in help texts and given to the LLM writer as the task
    kind: SectionKind
    prompt: str = ""  # the form's wording of the question, as the report shows it
    part: str = ""  # header, I. Management report, II. Progress report
    group: str = ""  # the form's heading above the prompt
    queries: tuple[str, ...] = ()  # retrieval queries (narrative and composite sections)
    max_items: int = 4  # sentences/bullets selected from documents other than the reports
    stable: bool = False  # changes little between reports: starts from the latest report's text
    numbered: bool = False  # a form table with a "#" column


_SPECS = (
    SectionSpec(
        name="header", title="Report details", kind="fields", part=HEADER, stable=True,
        description="The form's header fields: reporting period, partnership, start date, "
                    "webpage."),
    SectionSpec(
        name="summary", title="Executive summary and objectives", kind="narrative",
        part=MANAGEMENT, stable=True,
        prompt="Please provide the executive summary and the objectives of your partnership",
        description="What the partnership is, its background, aims and objectives.",
        queries=("executive summary and objectives of the mining industry partnership",
                 "aims of the partnership", "focus area and background of the partnership"),
        max_items=5),
    SectionSpec(
        name="leading-regions", title="Leading regions", kind="table", part=MANAGEMENT,
        stable=True, numbered=True, prompt="Please provide the list of leading regions",
        description="The regions leading the partnership, with country and NUTS code."),
    SectionSpec(
        name="participating-regions", title="Participating regions", kind="table",
        part=MANAGEMENT, stable=True, numbered=True,
        prompt="Please provide the list of participating regions.",
        description="The participating regions: name (country) and NUTS code."),
    SectionSpec(
        name="interested-regions", title="Interested regions and other entities",
        kind="narrative", part=MANAGEMENT, stable=True,
        prompt=("Please provide the list of interested regions or other entities (other than "
                "national /regional authorities)"),
        description="Regions and other entities interested in the partnership.",
        queries=("interested regions or other entities", "regions interested in joining the "
                 "partnership"), max_items=3),
    SectionSpec(
        name="working-areas", title="Working areas", kind="table", part=MANAGEMENT,
        stable=True, numbered=True,
        prompt="Please provide an overview of the working areas of your partnership",
        description="The partnership's working areas, the region in charge, the regions and "
                    "other actors involved."),
    SectionSpec(
        name="past-events", title="Past meetings, workshops and dissemination activities",
        kind="table", part=MANAGEMENT, numbered=True,
        prompt=("Please provide information regarding past meetings, workshops and "
                "dissemination activities (six months prior to filling out the survey)"),
        description="Events held in the reporting period: event, date, place."),
    SectionSpec(
        name="planned-events", title="Planned meetings, workshops and dissemination activities",
        kind="table", part=MANAGEMENT, numbered=True,
        prompt=("Please provide information regarding planned future meetings, workshops and "
                "dissemination activities"),
        description="Events planned after the reporting period: event, date, place."),
    SectionSpec(
        name="results", title="Innovative results and achievements", kind="narrative",
        part=PROGRESS, group=INNOVATIVE,
        prompt=("Please describe innovative results and achievements that could be attributed "
                "to the partnership (specific examples of results vs. objectives)"),
        description="Innovative results and achievements attributable to the partnership.",
        queries=("innovative results and achievements of the partnership",
                 "results achieved versus objectives")),
    SectionSpec(
        name="impacts", title="Socio-economic impacts", kind="narrative", part=PROGRESS,
        group=INNOVATIVE,
        prompt=("Tangible short- and medium-term socio-economic impacts achieved or expected "
                "(specific examples)"),
        description="The short- and medium-term socio-economic impacts achieved or expected.",
        queries=("tangible socio-economic impacts achieved or expected",
                 "interregional initiatives supporting regional investments")),
    SectionSpec(
        name="collaboration", title="Results with other partnerships", kind="narrative",
        part=PROGRESS, group=COLLABORATIVE,
        prompt=("Additional results obtained from working with other partnerships under the "
                "thematic S3 Platforms (specific examples)"),
        description="Results of working with other partnerships under the thematic S3 "
                    "Platforms.",
        queries=("collaboration with other partnerships under the thematic S3 platforms",
                 "inter-partnership collaborative results joint activities")),
    SectionSpec(
        name="business-involvement", title="Involvement of the business sector",
        kind="narrative", part=PROGRESS, group=COLLABORATIVE,
        prompt=("Evaluation of the involvement of relevant business sector (clusters, SMEs, "
                "business associations, chambers of commerce, Digital Innovation Hubs (DIHs), "
                "etcetera) in the Partnership activities (specific examples)"),
        description="How clusters, SMEs, business associations, chambers of commerce and "
                    "Digital Innovation Hubs are involved in the partnership's activities.",
        queries=(("involvement of the business sector clusters SMEs business associations "
                  "chambers of commerce"),
                 "Digital Innovation Hubs DIH role",
                 "industry companies match-making value chain operators")),
    SectionSpec(
        name="cooperation", title="Sufficiency of inter-regional cooperation", kind="narrative",
        part=PROGRESS, group=COLLABORATIVE,
        prompt=("Evaluation of whether the level of inter-regional cooperation is sufficient "
                "to potentially provide practical and relevant socio-economic impacts (specific "
                "examples)"),
        description="Whether the inter-regional cooperation is enough to give practical "
                    "socio-economic impacts.",
        queries=("level of inter-regional cooperation sufficient socio-economic impacts",
                 "regions role in supply of raw materials value chains")),
    SectionSpec(
        name="eu13", title="Involvement of EU13 regions", kind="narrative", part=PROGRESS,
        group=NEW_ACTIVITIES,
        prompt=("Involvement of regions from EU13 Member States in the Partnership, in "
                "particular with respect to scoping, mapping and/or matchmaking. In addition, "
                "justification should be provided if no EU13 regions are involved"),
        description="Regions from EU13 Member States in the partnership, or why there are none.",
        queries=("regions from EU13 Member States involved in the partnership",
                 "Poland Czechia Slovakia Hungary Romania Bulgaria Slovenia Croatia Baltic "
                 "regions scoping mapping matchmaking"), max_items=3),
    SectionSpec(
        name="non-eu", title="Involvement of non-EU regions", kind="narrative", part=PROGRESS,
        group=NEW_ACTIVITIES,
        prompt=("Involvement of regions/countries from outside of EU28 Countries. (Number of "
                "participants from non-EU countries (specify their contribution)"),
        description="Participants from outside the EU and their contribution.",
        queries=("participants from non-EU countries outside EU28 contribution",
                 "Norway Switzerland Iceland Ukraine Serbia regions in the partnership"),
        max_items=3),
    SectionSpec(
        name="outreach", title="Publications and communication activities", kind="composite",
        part=PROGRESS, group=NEW_ACTIVITIES,
        prompt=("Advancement and promotion of the Partnership through publications and other "
                "communication/outreach activities (number of outreach activities that "
                "resulted from the partnership)"),
        description="Promotion of the partnership through publications, presentations, "
                    "webinars and other communication and outreach activities.",
        queries=(("advancement and promotion of the partnership through publications and "
                  "communication outreach activities"),
                 "presentation webinar workshop dissemination of the partnership",
                 "introductions of the partnership"),
        max_items=5),
    SectionSpec(
        name="other-platforms", title="Activities with other S3 thematic platforms",
        kind="narrative", part=PROGRESS, group=NEW_ACTIVITIES,
        prompt=("Activities and projects with partnerships working under other S3 Thematic "
                "Platforms (AgriFood, Energy and Industrial Modernisation)"),
        description="Joint activities and projects with partnerships of the AgriFood, Energy "
                    "and Industrial Modernisation platforms.",
        queries=(("projects with partnerships of other S3 thematic platforms energy agrifood "
                  "industrial modernisation"),
                 "joint event with another thematic partnership")),
    SectionSpec(
        name="sdg", title="Sustainable Development Goals", kind="table", part=PROGRESS,
        group=SDG_GROUP, stable=True,
        prompt=("Please indicate to which Sustainable Development Goals and to what extent "
                "your thematic Partnership contributes?"),
        description="The partnership's contribution to the 17 UN SDGs, on the form's scale."),
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
