"""StreamField blocks of a course page: one block per kind of section the provider's course pages have, plus a
generic section so that a section of any other kind is kept as it was written."""

from wagtail import blocks

RICH_TEXT_FEATURES = ["h3", "h4", "bold", "italic", "ol", "ul", "link", "hr", "blockquote", "code"]


class ItemsBlock(blocks.ListBlock):
    def __init__(self, label="Items", **kwargs):
        super().__init__(blocks.CharBlock(label="Item"), label=label, **kwargs)


class NamedItemBlock(blocks.StructBlock):
    """A name in bold and what it is, e.g. "Advanced Manual: Comprehensive advanced life support reference"."""

    name = blocks.CharBlock()
    description = blocks.CharBlock(required=False)


class SectionBlock(blocks.StructBlock):
    """What every section has: a heading, and a paragraph of introduction before its content."""

    heading = blocks.CharBlock()
    intro = blocks.TextBlock(required=False, help_text="A sentence before the content, e.g. 'Participants receive:'")


class AudienceBlock(SectionBlock):
    people = ItemsBlock(label="Who should attend")

    class Meta:
        icon = "group"
        label = "Who should attend"
        template = "learning/blocks/audience.html"


class PrerequisitesBlock(SectionBlock):
    """Shows the page's prerequisites: the courses that must be current and the other prerequisites."""

    class Meta:
        icon = "lock"
        label = "Prerequisites (from the page's prerequisite fields)"
        template = "learning/blocks/prerequisites.html"


class SessionBlock(blocks.StructBlock):
    name = blocks.CharBlock(help_text="e.g. Morning Session")
    hours = blocks.DecimalBlock(required=False, min_value=0, max_digits=4, decimal_places=1)
    topics = ItemsBlock(label="Topics")


class DayBlock(blocks.StructBlock):
    label = blocks.CharBlock(help_text="e.g. Day 1")
    title = blocks.CharBlock(required=False, help_text="e.g. Advanced Airway and Breathing")
    sessions = blocks.ListBlock(SessionBlock())


class ProgrammeBlock(SectionBlock):
    days = blocks.ListBlock(DayBlock())

    class Meta:
        icon = "date"
        label = "Day-by-day programme"
        template = "learning/blocks/programme.html"


class ObjectiveBlock(blocks.StructBlock):
    verb = blocks.CharBlock(help_text="The action, shown in bold: Manage, Interpret, Lead …")
    text = blocks.CharBlock()


class ObjectivesBlock(SectionBlock):
    objectives = blocks.ListBlock(ObjectiveBlock())

    class Meta:
        icon = "tick"
        label = "Learning objectives"
        template = "learning/blocks/objectives.html"


class TitledListBlock(blocks.StructBlock):
    title = blocks.CharBlock()
    items = ItemsBlock()


class SkillGroupsBlock(SectionBlock):
    groups = blocks.ListBlock(TitledListBlock(label="Skill group"))

    class Meta:
        icon = "pick"
        label = "Skill groups"
        template = "learning/blocks/skills.html"


class AssessmentBlock(SectionBlock):
    methods = blocks.ListBlock(TitledListBlock(label="Assessment method"))

    class Meta:
        icon = "form"
        label = "Assessment methods"
        template = "learning/blocks/assessment.html"


class RequirementsBlock(SectionBlock):
    requirements = ItemsBlock(label="Requirements")

    class Meta:
        icon = "success"
        label = "Certification requirements"
        template = "learning/blocks/requirements.html"


class MaterialsBlock(SectionBlock):
    items = blocks.ListBlock(NamedItemBlock(), label="Materials")

    class Meta:
        icon = "doc-full"
        label = "Course materials"
        template = "learning/blocks/named_items.html"


class FacilitiesBlock(SectionBlock):
    items = blocks.ListBlock(NamedItemBlock(), label="Equipment and facilities")

    class Meta:
        icon = "home"
        label = "Equipment and facilities"
        template = "learning/blocks/named_items.html"


class ContinuingEducationBlock(SectionBlock):
    items = blocks.ListBlock(NamedItemBlock(), label="Continuing education")

    class Meta:
        icon = "repeat"
        label = "Continuing education"
        template = "learning/blocks/named_items.html"


class RegistrationStepBlock(blocks.StructBlock):
    title = blocks.CharBlock()
    description = blocks.CharBlock(required=False)


class RegistrationBlock(SectionBlock):
    details = blocks.ListBlock(NamedItemBlock(), label="Fee and payment", required=False)
    steps_heading = blocks.CharBlock(required=False, help_text="e.g. Registration Requirements")
    steps = blocks.ListBlock(RegistrationStepBlock(), label="Registration steps")

    class Meta:
        icon = "list-ol"
        label = "Registration steps"
        template = "learning/blocks/registration.html"


class GenericSectionBlock(blocks.StructBlock):
    """Any other section: a heading and rich text (paragraphs, lists, sub-headings)."""

    heading = blocks.CharBlock()
    body = blocks.RichTextBlock(features=RICH_TEXT_FEATURES)

    class Meta:
        icon = "doc-full-inverse"
        label = "Section"
        template = "learning/blocks/generic_section.html"


class CourseBodyBlock(blocks.StreamBlock):
    audience = AudienceBlock()
    prerequisites = PrerequisitesBlock()
    programme = ProgrammeBlock()
    objectives = ObjectivesBlock()
    skills = SkillGroupsBlock()
    assessment = AssessmentBlock()
    requirements = RequirementsBlock()
    materials = MaterialsBlock()
    facilities = FacilitiesBlock()
    continuing_education = ContinuingEducationBlock()
    registration = RegistrationBlock()
    section = GenericSectionBlock()
