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


def section_block(label: str, *, icon: str, template: str, **child_blocks: blocks.Block) -> SectionBlock:
    """A kind of section: a heading and an intro, then `child_blocks`; `label` and `icon` name it in the editor's
    choice of blocks, and `template` (in learning/blocks/) renders it. They are given as its class's Meta rather
    than to the constructor, which would write them into the migrations of every page that uses the block."""
    meta = type("Meta", (), {"label": label, "icon": icon, "template": f"learning/blocks/{template}.html"})
    block_class = type(SectionBlock)(
        f"{template.title().replace('_', '')}Block",
        (SectionBlock,),
        {"__module__": __name__, "Meta": meta, **child_blocks},
    )
    return block_class()


def named_items_section(label: str, *, icon: str, items_label: str = "") -> SectionBlock:
    """A section that lists named items (materials, facilities, continuing education), all shown alike."""
    items = blocks.ListBlock(NamedItemBlock(), label=items_label or label)
    return section_block(label, icon=icon, template="named_items", items=items)


class SessionBlock(blocks.StructBlock):
    name = blocks.CharBlock(help_text="e.g. Morning Session")
    hours = blocks.DecimalBlock(required=False, min_value=0, max_digits=4, decimal_places=1)
    topics = ItemsBlock(label="Topics")


class DayBlock(blocks.StructBlock):
    label = blocks.CharBlock(help_text="e.g. Day 1")
    title = blocks.CharBlock(required=False, help_text="e.g. Advanced Airway and Breathing")
    sessions = blocks.ListBlock(SessionBlock())


class ObjectiveBlock(blocks.StructBlock):
    verb = blocks.CharBlock(help_text="The action, shown in bold: Manage, Interpret, Lead …")
    text = blocks.CharBlock()


class TitledListBlock(blocks.StructBlock):
    title = blocks.CharBlock()
    items = ItemsBlock()


class RegistrationStepBlock(blocks.StructBlock):
    title = blocks.CharBlock()
    description = blocks.CharBlock(required=False)


class GenericSectionBlock(blocks.StructBlock):
    """Any other section: a heading and rich text (paragraphs, lists, sub-headings)."""

    heading = blocks.CharBlock()
    body = blocks.RichTextBlock(features=RICH_TEXT_FEATURES)

    class Meta:
        icon = "doc-full-inverse"
        label = "Section"
        template = "learning/blocks/generic_section.html"


class CourseBodyBlock(blocks.StreamBlock):
    audience = section_block(
        "Who should attend", icon="group", template="audience", people=ItemsBlock(label="Who should attend")
    )
    # Shows the page's prerequisites: the courses that must be current and the other prerequisites.
    prerequisites = section_block(
        "Prerequisites (from the page's prerequisite fields)", icon="lock", template="prerequisites"
    )
    programme = section_block(
        "Day-by-day programme", icon="date", template="programme", days=blocks.ListBlock(DayBlock())
    )
    objectives = section_block(
        "Learning objectives", icon="tick", template="objectives", objectives=blocks.ListBlock(ObjectiveBlock())
    )
    skills = section_block(
        "Skill groups", icon="pick", template="skills", groups=blocks.ListBlock(TitledListBlock(label="Skill group"))
    )
    assessment = section_block(
        "Assessment methods",
        icon="form",
        template="assessment",
        methods=blocks.ListBlock(TitledListBlock(label="Assessment method")),
    )
    requirements = section_block(
        "Certification requirements",
        icon="success",
        template="requirements",
        requirements=ItemsBlock(label="Requirements"),
    )
    materials = named_items_section("Course materials", icon="doc-full", items_label="Materials")
    facilities = named_items_section("Equipment and facilities", icon="home")
    continuing_education = named_items_section("Continuing education", icon="repeat")
    registration = section_block(
        "Registration steps",
        icon="list-ol",
        template="registration",
        details=blocks.ListBlock(NamedItemBlock(), label="Fee and payment", required=False),
        steps_heading=blocks.CharBlock(required=False, help_text="e.g. Registration Requirements"),
        steps=blocks.ListBlock(RegistrationStepBlock(), label="Registration steps"),
    )
    section = GenericSectionBlock()
