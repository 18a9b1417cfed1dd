"""Reads a Hugo course page (front matter + markdown) into a `CourseDocument`: the typed facts of the course and
its sections as course-page blocks. Pure parsing, no database: `learning.catalogue.services` writes the pages.

A section is turned into its specialised block only when every line of it fits that block; otherwise it is kept
as a generic section with its markdown rendered to HTML, so that no heading, bullet or sentence is ever lost.
"""

import re
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from urllib.parse import unquote

import yaml
from markdown_it import MarkdownIt

from learning.common.links import is_safe_link, link_problem

_markdown = MarkdownIt("commonmark", {"html": False}).enable("table").enable("strikethrough")
# The last guard: whatever `check_links` might miss is rendered as text, never as a link.
_markdown.validateLink = is_safe_link
# Sees every link the way the renderer resolves it (inline, reference, autolink), before any is dropped.
_link_reader = MarkdownIt("commonmark", {"html": False}).enable("table").enable("strikethrough")
_link_reader.validateLink = lambda url: True


class HugoFormatError(Exception):
    """A course page that cannot be read; says which file, which line, and what was expected."""

    def __init__(self, path, line: int | None, message: str):
        self.path = Path(path)
        self.line = line
        self.message = message
        where = f"{self.path}:{line}" if line else str(self.path)
        super().__init__(f"{where}: {message}")


@dataclass
class Line:
    number: int
    text: str


@dataclass
class CourseDocument:
    path: Path
    title: str
    slug: str
    code: str
    validity_months: int
    long_title: str = ""
    summary: str = ""
    intro_html: str = ""
    duration_days: int | None = None
    duration_hours: Decimal | None = None
    max_participants_per_instructor: int | None = None
    prerequisite_codes: list[str] = field(default_factory=list)
    other_prerequisites: str = ""
    written_exam_pass_mark: int | None = None
    attendance_required: int | None = None
    fee_text: str = ""
    booking_url: str = ""
    contact_url: str = ""
    call_to_action_html: str = ""
    blocks: list[tuple[str, dict]] = field(default_factory=list)


# --- Inline markdown ------------------------------------------------------------------------------------

LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
BOLD_LEAD = re.compile(r"^\*\*(?P<name>[^*]+?)\*\*\s*(?P<rest>.*)$")
FACT = re.compile(r"^\*\*(?P<label>[^*]+?)\*\*\s*:\s*(?P<value>.*?)\s*$")
BULLET = re.compile(r"^\s*[-*+]\s+(?P<text>.+?)\s*$")
NUMBERED = re.compile(r"^\s*\d+[.)]\s+(?P<text>.+?)\s*$")
HEADING = re.compile(r"^(?P<hashes>#{1,6})\s+(?P<text>.+?)\s*#*\s*$")
SESSION = re.compile(r"^\*\*(?P<name>[^*(]+?)\s*(?:\((?P<hours>\d+(?:\.\d+)?)\s*hours?\))?\*\*\s*$", re.I)
DAY = re.compile(r"^(?P<label>Day\s+\d+)\s*(?:[:\-–—]\s*(?P<title>.*))?$", re.I)  # noqa: RUF001 (dashes people type)
COURSE_CODE = re.compile(r"\b([A-Z][A-Z0-9]*[A-Z][A-Z0-9]*|[A-Z]{2,}\d+)\b")
NOT_CODES = {"AND", "OR", "THE", "OF", "A", "AN", "CPR"}


def plain(text: str) -> str:
    """Inline markdown as plain text: emphasis marks dropped, a link kept as its words."""
    text = LINK.sub(r"\1", text)
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)
    text = re.sub(r"(?<![\w*])[*_](?!\s)(.+?)(?<!\s)[*_](?![\w*])", r"\1", text)
    return text.strip()


def inline_is_plain(text: str) -> bool:
    """Whether `plain()` loses nothing but emphasis (a link's address would be lost)."""
    return not LINK.search(text)


def render_html(lines: list[Line]) -> str:
    return _markdown.render("\n".join(line.text for line in lines)).strip()


def check_links(path: Path, body: list[Line]) -> None:
    """Refuses the file at the first link or image whose address may not be on a page (`learning.common.links`)."""
    text = "\n".join(line.text for line in body)
    for token in _link_reader.parse(text):
        if token.type != "inline" or not token.children:
            continue
        for child in token.children:
            url = child.attrGet("href") if child.type == "link_open" else child.attrGet("src")
            if child.type not in ("link_open", "image") or url is None:
                continue
            problem = link_problem(str(url))
            if problem:
                raise HugoFormatError(path, line_of(body, token.map, str(url)), f"refused link: {problem}")


def checked_link(path: Path, lines: list[Line], url: str) -> str:
    """`url` as a booking or contact address; these are read as written, so they are checked as written."""
    problem = link_problem(url)
    if problem:
        raise HugoFormatError(path, line_of(lines, None, url), f"refused link: {problem}")
    return url


def line_of(body: list[Line], block: list[int] | None, url: str) -> int | None:
    """The line that holds `url`: in its paragraph if it is written there, else where a reference defines it."""
    start, end = block if block else (0, len(body))
    spellings = {url, unquote(url)}
    for line in [*body[start:end], *body]:
        if any(spelling in line.text for spelling in spellings):
            return line.number
    return body[start].number if body else None


# --- Front matter ---------------------------------------------------------------------------------------


def split_front_matter(path: Path, text: str) -> tuple[dict, list[Line]]:
    lines = text.splitlines()
    if not lines or lines[0].strip() not in {"+++", "---"}:
        raise HugoFormatError(path, 1, "expected front matter: a first line of +++ (TOML) or --- (YAML)")
    fence = lines[0].strip()
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == fence)
    except StopIteration:
        raise HugoFormatError(path, 1, f"the front matter opened with {fence} is never closed by {fence}") from None
    raw = "\n".join(lines[1:end])
    try:
        matter = tomllib.loads(raw) if fence == "+++" else (yaml.safe_load(raw) or {})
    except tomllib.TOMLDecodeError as error:
        line = _toml_error_line(str(error))
        raise HugoFormatError(path, line + 1 if line else 1, f"bad TOML front matter: {error}") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 2 if mark else 1
        raise HugoFormatError(path, line, f"bad YAML front matter: {getattr(error, 'problem', error)}") from None
    if not isinstance(matter, dict):
        raise HugoFormatError(path, 2, "the front matter must be a set of key = value pairs")
    body = [Line(number, text) for number, text in enumerate(lines[end + 1 :], start=end + 2)]
    return matter, body


def _toml_error_line(message: str) -> int | None:
    found = re.search(r"line (\d+)", message)
    return int(found.group(1)) if found else None


# --- Facts ------------------------------------------------------------------------------------------------


def parse_duration(path: Path, line: Line, value: str) -> tuple[int | None, Decimal | None]:
    found = re.fullmatch(
        r"(?:(?P<days>\d+)\s+days?)?\s*\(?\s*(?:(?P<hours>\d+(?:\.\d+)?)\s+hours?)?\s*\)?", value.strip(), re.I
    )
    if not found or not (found.group("days") or found.group("hours")):
        raise HugoFormatError(path, line.number, f"**Duration** should read like '3 days (24 hours)', not {value!r}")
    days = int(found.group("days")) if found.group("days") else None
    hours = Decimal(found.group("hours")) if found.group("hours") else None
    return days, hours


def parse_validity(path: Path, line: Line, value: str) -> int:
    found = re.fullmatch(r"(?:valid\s+for\s+)?(?P<n>\d+)\s+(?P<unit>years?|months?)", value.strip(), re.I)
    if not found or int(found.group("n")) == 0:
        raise HugoFormatError(
            path,
            line.number,
            f"**Certification** should read like 'Valid for 2 years' or 'Valid for 18 months', not {value!r}",
        )
    number = int(found.group("n"))
    return number * 12 if found.group("unit").lower().startswith("year") else number


def parse_capacity(path: Path, line: Line, value: str) -> int:
    found = re.fullmatch(r"(?P<n>\d+)\s+(?:participants\s+)?per\s+instructor", value.strip(), re.I)
    if not found or int(found.group("n")) == 0:
        raise HugoFormatError(
            path, line.number, f"**Maximum Participants** should read like '6 per instructor', not {value!r}"
        )
    return int(found.group("n"))


def course_codes(text: str) -> list[str]:
    """The course codes a prerequisite names: 'Current ALS1 certification' -> ['ALS1']."""
    if re.fullmatch(r"\s*(none|no prerequisites?|-)?\s*\.?", text, re.I):
        return []
    codes = [code for code in COURSE_CODE.findall(text) if code not in NOT_CODES]
    return list(dict.fromkeys(codes))


def course_code_from(title: str, matter: dict) -> str | None:
    for key in ("code", "course_code"):
        if matter.get(key):
            return str(matter[key]).strip().upper()
    params = matter.get("params")
    if isinstance(params, dict) and params.get("code"):
        return str(params["code"]).strip().upper()
    found = re.match(r"\s*([A-Z][A-Z0-9-]*\d[A-Z0-9-]*|[A-Z]{2,})\b", title)
    return found.group(1) if found else None


# --- Sections ---------------------------------------------------------------------------------------------


@dataclass
class Section:
    heading: str
    line: int
    lines: list[Line]

    def content(self) -> list[Line]:
        return [line for line in self.lines if line.text.strip()]


def split_sections(body: list[Line]) -> tuple[list[Line], list[Section]]:
    preamble: list[Line] = []
    sections: list[Section] = []
    for line in body:
        heading = HEADING.match(line.text)
        if heading and len(heading.group("hashes")) == 2:
            sections.append(Section(heading.group("text").strip(), line.number, []))
        elif sections:
            sections[-1].lines.append(line)
        else:
            preamble.append(line)
    return preamble, sections


def leading_intro(lines: list[Line]) -> tuple[str, list[Line]]:
    """Paragraph lines before the first list item or sub-heading, joined as one intro."""
    intro = []
    rest = list(lines)
    while rest and not (BULLET.match(rest[0].text) or NUMBERED.match(rest[0].text) or HEADING.match(rest[0].text)):
        if BOLD_LEAD.match(rest[0].text) and FACT.match(rest[0].text):
            break
        if SESSION.match(rest[0].text):
            break
        intro.append(rest.pop(0).text.strip())
    return " ".join(intro), rest


def only_plain(texts: list[str]) -> bool:
    return all(inline_is_plain(text) for text in texts)


def parse_items(lines: list[Line]) -> list[str] | None:
    items = []
    for line in lines:
        found = BULLET.match(line.text) or NUMBERED.match(line.text)
        if not found:
            return None
        items.append(found.group("text"))
    return items if items and only_plain(items) else None


def named_item(text: str) -> dict | None:
    found = re.match(r"^\*\*(?P<name>[^*]+?)\*\*\s*:?\s*(?P<description>.*)$", text)
    if not found or not inline_is_plain(text):
        return None
    return {"name": found.group("name").strip().rstrip(":"), "description": plain(found.group("description"))}


def parse_audience(section: Section) -> dict | None:
    intro, rest = leading_intro(section.content())
    items = parse_items(rest)
    if not items:
        return None
    return {"heading": section.heading, "intro": intro, "people": [plain(item) for item in items]}


def parse_titled_lists(section: Section, key: str) -> dict | None:
    intro, rest = leading_intro(section.content())
    groups = []
    for line in rest:
        heading = HEADING.match(line.text)
        if heading and len(heading.group("hashes")) == 3:
            groups.append({"title": plain(heading.group("text")), "items": []})
            continue
        bullet = BULLET.match(line.text)
        if not groups or not bullet or not inline_is_plain(bullet.group("text")):
            return None
        groups[-1]["items"].append(plain(bullet.group("text")))
    if not groups or any(not group["items"] for group in groups):
        return None
    return {"heading": section.heading, "intro": intro, key: groups}


def parse_programme(section: Section) -> dict | None:
    intro, rest = leading_intro(section.content())
    days: list[dict] = []
    for line in rest:
        heading = HEADING.match(line.text)
        if heading and len(heading.group("hashes")) == 3:
            day = DAY.match(plain(heading.group("text")))
            if not day:
                return None
            days.append({"label": day.group("label"), "title": (day.group("title") or "").strip(), "sessions": []})
            continue
        session = SESSION.match(line.text.strip())
        if session and days:
            hours = Decimal(session.group("hours")) if session.group("hours") else None
            days[-1]["sessions"].append({"name": session.group("name").strip(), "hours": hours, "topics": []})
            continue
        bullet = BULLET.match(line.text)
        if not bullet or not days or not days[-1]["sessions"] or not inline_is_plain(bullet.group("text")):
            return None
        days[-1]["sessions"][-1]["topics"].append(plain(bullet.group("text")))
    if not days or any(not day["sessions"] for day in days):
        return None
    return {"heading": section.heading, "intro": intro, "days": days}


def parse_objectives(section: Section) -> dict | None:
    intro, rest = leading_intro(section.content())
    items = parse_items(rest)
    if not items:
        return None
    objectives = []
    for item in items:
        lead = BOLD_LEAD.match(item)
        if lead:
            objectives.append({"verb": lead.group("name").strip(), "text": plain(lead.group("rest"))})
        else:
            verb, _, text = plain(item).partition(" ")
            objectives.append({"verb": verb, "text": text})
    return {"heading": section.heading, "intro": intro, "objectives": objectives}


def parse_requirements(section: Section) -> dict | None:
    intro, rest = leading_intro(section.content())
    items = parse_items(rest)
    if not items:
        return None
    return {"heading": section.heading, "intro": intro, "requirements": [plain(item) for item in items]}


def parse_named_items(section: Section) -> dict | None:
    intro, rest = leading_intro(section.content())
    items = parse_items(rest)
    if not items:
        return None
    named = [named_item(item) for item in items]
    if any(item is None for item in named):
        return None
    return {"heading": section.heading, "intro": intro, "items": named}


def parse_registration(section: Section) -> dict | None:
    intro, rest = leading_intro(section.content())
    details = []
    while rest and FACT.match(rest[0].text.strip()):
        fact = FACT.match(rest.pop(0).text.strip())
        if not inline_is_plain(fact.group("value")):
            return None
        details.append({"name": fact.group("label").strip(), "description": plain(fact.group("value"))})
    steps_heading = ""
    if rest and (heading := HEADING.match(rest[0].text)) and len(heading.group("hashes")) == 3:
        steps_heading = plain(heading.group("text"))
        rest = rest[1:]
    items = parse_items(rest)
    if not items:
        return None
    steps = []
    for item in items:
        named = named_item(item)
        if named is None:
            return None
        steps.append({"title": named["name"], "description": named["description"]})
    return {
        "heading": section.heading,
        "intro": intro,
        "details": details,
        "steps_heading": steps_heading,
        "steps": steps,
    }


SECTION_KINDS = [
    # (block type, words in the heading, parser); the first whose words match and whose parser fits wins.
    ("audience", ("who should attend", "target audience", "who is it for"), parse_audience),
    ("programme", ("course content", "programme", "program", "schedule", "curriculum", "timetable"), parse_programme),
    ("objectives", ("objective", "learning outcome"), parse_objectives),
    ("skills", ("skills",), lambda section: parse_titled_lists(section, "groups")),
    ("assessment", ("assessment",), lambda section: parse_titled_lists(section, "methods")),
    ("requirements", ("certification requirement", "requirements for certification", "passing"), parse_requirements),
    ("materials", ("material",), parse_named_items),
    ("facilities", ("equipment", "facilit"), parse_named_items),
    ("continuing_education", ("continuing education", "maintenance", "recertification"), parse_named_items),
    ("registration", ("registration", "booking", "how to book"), parse_registration),
]


def generic_section(section: Section) -> tuple[str, dict]:
    return "section", {"heading": section.heading, "body": render_html(section.lines)}


# --- The whole page ---------------------------------------------------------------------------------------


def split_call_to_action(sections: list[Section]) -> list[Line]:
    """The closing lines after a final horizontal rule (`---`) of the last section: the call to action."""
    if not sections:
        return []
    last = sections[-1]
    rules = [i for i, line in enumerate(last.lines) if re.fullmatch(r"\s*(-{3,}|\*{3,}|_{3,})\s*", line.text)]
    if not rules:
        return []
    closing = last.lines[rules[-1] + 1 :]
    if any(HEADING.match(line.text) for line in closing) or not any(line.text.strip() for line in closing):
        return []
    del last.lines[rules[-1] :]
    return [line for line in closing if line.text.strip()]


def parse_course(path: Path, text: str | None = None) -> CourseDocument:
    path = Path(path)
    if text is None:
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as error:
            raise HugoFormatError(path, None, f"not UTF-8 text ({error.reason} at byte {error.start})") from None
    matter, body = split_front_matter(path, text)
    check_links(path, body)
    title = str(matter.get("title") or "").strip()
    if not title:
        raise HugoFormatError(path, 2, 'the front matter has no title (expected title = "…")')

    preamble, sections = split_sections(body)
    closing = split_call_to_action(sections)

    long_title = ""
    facts: dict[str, tuple[Line, str]] = {}
    intro_lines: list[Line] = []
    for line in preamble:
        heading = HEADING.match(line.text)
        if heading and len(heading.group("hashes")) == 1 and not long_title:
            long_title = heading.group("text").strip()
            continue
        fact = FACT.match(line.text.strip())
        if fact and fact.group("label").strip().lower() in FACT_LABELS:
            facts[FACT_LABELS[fact.group("label").strip().lower()]] = (line, fact.group("value"))
        else:
            intro_lines.append(line)

    code = course_code_from(title, matter) or course_code_from(long_title, {})
    if not code:
        raise HugoFormatError(
            path, 2, 'cannot tell the course code: start the title with it ("ALS2 (Advanced)") or add code = "ALS2"'
        )
    if "validity" not in facts:
        raise HugoFormatError(
            path, None, "no **Certification** line: expected one like '**Certification**: Valid for 2 years'"
        )
    document = CourseDocument(
        path=path,
        title=title,
        slug=str(matter.get("slug") or path.stem).strip().lower(),
        code=code,
        validity_months=parse_validity(path, *facts["validity"]),
        long_title=long_title,
        summary=str(matter.get("description") or "").strip(),
        intro_html=render_html(intro_lines) if any(line.text.strip() for line in intro_lines) else "",
    )
    if "duration" in facts:
        document.duration_days, document.duration_hours = parse_duration(path, *facts["duration"])
    if "capacity" in facts:
        document.max_participants_per_instructor = parse_capacity(path, *facts["capacity"])
    if "prerequisites" in facts:
        document.prerequisite_codes = [c for c in course_codes(facts["prerequisites"][1]) if c != code]

    for section in sections:
        document.blocks.append(section_block(section, document))

    if closing:
        document.call_to_action_html = render_html(closing)
        links = [(words, url) for words, url in LINK.findall(" ".join(line.text for line in closing))]
        for words, url in links:
            if re.search(r"\bbook", words, re.I) and not document.booking_url:
                document.booking_url = checked_link(path, closing, url)
            elif re.search(r"contact", words, re.I) and not document.contact_url:
                document.contact_url = checked_link(path, closing, url)
    return document


FACT_LABELS = {
    "duration": "duration",
    "length": "duration",
    "certification": "validity",
    "validity": "validity",
    "certification validity": "validity",
    "maximum participants": "capacity",
    "max participants": "capacity",
    "class size": "capacity",
    "prerequisites": "prerequisites",
    "prerequisite": "prerequisites",
}


def section_block(section: Section, document: CourseDocument) -> tuple[str, dict]:
    heading = section.heading.lower()
    if "prerequisite" in heading:
        intro, rest = leading_intro(section.content())
        items = parse_items(rest)
        if items is not None and not document.other_prerequisites:
            document.other_prerequisites = "\n".join(plain(item) for item in items)
            return "prerequisites", {"heading": section.heading, "intro": intro}
        return generic_section(section)
    for block_type, words, parser in SECTION_KINDS:
        if any(word in heading for word in words):
            value = parser(section)
            if value is not None:
                if block_type == "requirements":
                    read_pass_marks(value["requirements"], document)
                if block_type == "registration":
                    fee = next((d for d in value["details"] if "fee" in d["name"].lower()), None)
                    if fee:
                        document.fee_text = fee["description"]
                return block_type, value
    return generic_section(section)


def read_pass_marks(requirements: list[str], document: CourseDocument) -> None:
    for requirement in requirements:
        percent = re.search(r"(\d{1,3})\s*%", requirement)
        if not percent or int(percent.group(1)) > 100:
            continue
        if re.search(r"exam|test|score", requirement, re.I) and document.written_exam_pass_mark is None:
            document.written_exam_pass_mark = int(percent.group(1))
        elif re.search(r"attend", requirement, re.I) and document.attendance_required is None:
            document.attendance_required = int(percent.group(1))
