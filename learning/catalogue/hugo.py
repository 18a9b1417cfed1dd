"""Reads a Hugo course page (front matter + markdown) into a `CourseDocument`: the typed facts of the course and
its sections as course-page blocks. Pure parsing, no database: `learning.catalogue.services` writes the pages.

A section is turned into its specialised block only when every line of it fits that block; otherwise it is kept
as a generic section with its markdown rendered to HTML, so that no heading, bullet or sentence is ever lost.

A file is read only up to a size limit, must be UTF-8 without control characters, and its lines are split the
way CommonMark splits them, so that every error names the line (and column) an editor shows. The patterns below
are written so that none of them backtracks over a run of characters more than once: a long line costs time in
proportion to its length, never to its square.
"""

import re
import tomllib
from collections.abc import Callable
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


# The page title's column (Wagtail's Page.title).
MAX_TITLE_CHARS = 255


class HugoFormatError(Exception):
    """A course page that cannot be read; says which file, which line (and column), and what was expected."""

    def __init__(self, path, line: int | None, message: str, column: int | None = None):
        self.path = Path(path)
        self.line = line
        self.column = column if line else None
        self.message = message
        where = str(self.path)
        if line:
            where += f":{line}" + (f":{column}" if column else "")
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
    # Where each prerequisite code is written: (line, column).
    prerequisite_at: dict[str, tuple[int, int]] = field(default_factory=dict)
    other_prerequisites: str = ""
    written_exam_pass_mark: int | None = None
    attendance_required: int | None = None
    requires_practical_assessment: bool = False
    requires_scenario_assessment: bool = False
    fee_text: str = ""
    booking_url: str = ""
    contact_url: str = ""
    call_to_action_html: str = ""
    blocks: list[tuple[str, dict]] = field(default_factory=list)


# --- Inline markdown ------------------------------------------------------------------------------------

# Brackets are kept out of a link's words and address so that each search stops at the next bracket: a line of
# thousands of `[a](` is read once, not once per bracket.
LINK = re.compile(r"\[([^\[\]]+)\]\(([^)\s\[\]]+)\)")
BOLD_LEAD = re.compile(r"^\*\*(?P<name>[^*]+?)\*\*\s*(?P<rest>.*)$")
# A value ends at its last non-space character (greedy, then one step back) rather than at a lazy `.*?` followed by
# `\s*$`, which tries every space of a long run of spaces against the rest of the run.
TRIMMED = r"(?:\S(?:.*\S)?)"
FACT = re.compile(rf"^\*\*(?P<label>[^*]+)\*\*\s*:\s*(?P<value>{TRIMMED}?)\s*$")
BULLET = re.compile(rf"^\s*[-*+]\s+(?P<text>{TRIMMED})\s*$")
NUMBERED = re.compile(rf"^\s*\d+[.)]\s+(?P<text>{TRIMMED})\s*$")
SESSION = re.compile(r"^\*\*(?P<name>[^*(]*[^*(\s])\s*(?:\((?P<hours>\d+(?:\.\d+)?)\s*hours?\))?\*\*\s*$", re.I)
DAY = re.compile(r"^(?P<label>Day\s+\d+)\s*(?:[:\-–—]\s*(?P<title>.*))?$", re.I)  # noqa: RUF001 (dashes people type)
# A word of capitals and digits with two or more capitals; the count is checked in `course_codes`, because a pattern
# that places the second capital itself backtracks quadratically over a long word.
CAPITALS_WORD = re.compile(r"\b[A-Z][A-Z0-9]*\b")
NOT_CODES = {"AND", "OR", "THE", "OF", "A", "AN", "CPR"}
WORD_OR_STAR = re.compile(r"[\w*]")


@dataclass
class Heading:
    """An ATX heading: its level (the number of #) and its text without closing #s."""

    level: int
    text: str


HEADING_START = re.compile(r"(#{1,6})\s+(?=\S)")


def heading(text: str) -> Heading | None:
    found = HEADING_START.match(text)
    if not found:
        return None
    words = text[found.end() :].rstrip()
    # A closing run of # counts only after a space, as in CommonMark ("## C#" is about C#).
    without_closing = words.rstrip("#")
    if without_closing != words and (not without_closing or without_closing[-1].isspace()):
        words = without_closing.rstrip()
    return Heading(len(found.group(1)), words) if words else None


def plain(text: str) -> str:
    """Inline markdown as plain text: emphasis marks dropped, a link kept as its words."""
    text = LINK.sub(r"\1", text)
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)
    return drop_single_emphasis(text).strip()


def drop_single_emphasis(text: str) -> str:
    r"""`*words*` and `_words_` as `words`: an opening mark not after a letter or `*` and not before a space, closed
    by the nearest mark not after a space and not before a letter or `*`.

    The regular expression that says the same (`(?<![\w*])[*_](?!\s)(.+?)(?<!\s)[*_](?![\w*])`) searches the rest
    of the line from every opening mark that finds no closing one, which is quadratic on a line like ` _a _a _a`.
    Here the nearest closing mark after each position is found once, from the right."""
    end = len(text)

    def word_or_star(position: int) -> bool:
        return 0 <= position < end and WORD_OR_STAR.match(text[position]) is not None

    def opens(position: int) -> bool:
        return (
            text[position] in "*_"
            and not word_or_star(position - 1)
            and not text[position + 1 : position + 2].isspace()
        )

    def closes(position: int) -> bool:
        return text[position] in "*_" and not text[position - 1].isspace() and not word_or_star(position + 1)

    nearest_close = [end] * (end + 2)
    for position in range(end - 1, 0, -1):
        if text[position] == "\n":
            continue  # an emphasis ends on its own line: the marks after a line break close nothing before it
        nearest_close[position] = position if closes(position) else nearest_close[position + 1]
    out, position = [], 0
    while position < end:
        close = nearest_close[position + 2]
        if close < end and opens(position):
            out.append(text[position + 1 : close])
            position = close + 1
        else:
            out.append(text[position])
            position += 1
    return "".join(out)


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


# --- Reading the file -----------------------------------------------------------------------------------

# The provider's course pages are about 15 KB; a file of more than a megabyte is not a course page (an export, a log)
# and would only cost minutes and gigabytes to find that out.
DEFAULT_MAX_BYTES = 1024 * 1024
# CommonMark's line endings; `str.splitlines` would also split at form feeds and Unicode separators, which an editor
# shows inside a line, and every line number after them would be wrong.
LINE_BREAK = re.compile(r"\r\n|\r|\n")
LINE_BREAK_BYTES = re.compile(rb"\r\n|\r|\n")
# Control characters other than tab and the line breaks: invisible in an editor, refused by PostgreSQL (NUL) or
# meaningless on a page.
CONTROL_CHARACTER = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
CONTROL_NAMES = {0x00: "a NUL byte", 0x1B: "an escape character", 0x7F: "a delete character"}


def read_source(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """The text of a course page, refused before it is read if it is larger than `max_bytes`, and refused with its
    line and column if it is not UTF-8 (a byte-order mark is allowed) or holds a control character."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise HugoFormatError(path, None, too_large(size, max_bytes))
        with path.open("rb") as source:
            # One byte past the limit tells a file that grew since, or a device that reports no size, from one
            # that fits.
            data = source.read(max_bytes + 1)
    except OSError as error:
        raise HugoFormatError(path, None, f"cannot be read: {error.strerror or error}") from None
    if len(data) > max_bytes:
        raise HugoFormatError(path, None, too_large(None, max_bytes))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line, column = byte_position(data, error.start)
        raise HugoFormatError(
            path,
            line,
            f"not UTF-8 text: byte 0x{data[error.start]:02x} ({error.reason}); save the file as UTF-8",
            column,
        ) from None
    check_characters(path, text)
    return text


def too_large(size: int | None, max_bytes: int) -> str:
    actual = f"{size:,} bytes" if size is not None else f"more than {max_bytes:,} bytes"
    return (
        f"the file is {actual}; a course page may be at most {max_bytes:,} bytes "
        "(HUGO_IMPORT_MAX_BYTES): is this really a course page?"
    )


def byte_position(data: bytes, offset: int) -> tuple[int, int]:
    """The line and the column (in characters) of the byte at `offset`."""
    breaks = list(LINE_BREAK_BYTES.finditer(data, 0, offset))
    line_start = breaks[-1].end() if breaks else 0
    prefix = data[line_start:offset].decode("utf-8-sig" if line_start == 0 else "utf-8", errors="replace")
    return len(breaks) + 1, len(prefix) + 1


def check_characters(path: Path, text: str) -> None:
    found = CONTROL_CHARACTER.search(text)
    if not found:
        return
    before = text[: found.start()]
    breaks = list(LINE_BREAK.finditer(before))
    column = found.start() - (breaks[-1].end() if breaks else 0) + 1
    code = ord(found.group())
    name = CONTROL_NAMES.get(code, "a control character")
    raise HugoFormatError(
        path,
        len(breaks) + 1,
        f"{name} (U+{code:04X}): a course page may hold no control characters other than tabs and line breaks",
        column,
    )


def source_lines(text: str) -> list[str]:
    lines = LINE_BREAK.split(text)
    # A final line break ends the last line; it does not start an empty one.
    return lines[:-1] if lines and lines[-1] == "" else lines


# --- Front matter ---------------------------------------------------------------------------------------


@dataclass
class FrontMatter:
    values: dict
    lines: list[Line]

    def line_of(self, key: str) -> int:
        """The line that sets `key` (the first line of the front matter when none does, e.g. a nested table)."""
        setting = re.compile(rf"[\"']?{re.escape(key)}[\"']?\s*[=:]")
        found = next((line.number for line in self.lines if setting.match(line.text.lstrip())), None)
        return found or (self.lines[0].number if self.lines else 1)

    def text(self, path: Path, key: str) -> str:
        """The value of `key` as text; a list or a table there is refused (a YAML alias can make either huge)."""
        value = self.values.get(key)
        if value is None:
            return ""
        if isinstance(value, dict | list | tuple | set | bytes):
            raise HugoFormatError(path, self.line_of(key), f"{key} should be text, not a {type(value).__name__}")
        return str(value).strip()


def split_front_matter(path: Path, text: str) -> tuple[FrontMatter, list[Line]]:
    lines = source_lines(text)
    if not lines or lines[0].strip() not in {"+++", "---"}:
        raise HugoFormatError(path, 1, "expected front matter: a first line of +++ (TOML) or --- (YAML)")
    fence = lines[0].strip()
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == fence)
    except StopIteration:
        raise HugoFormatError(path, 1, f"the front matter opened with {fence} is never closed by {fence}") from None
    # Line numbers are the file's: the front matter starts on line 2, after its opening fence.
    matter_lines = [Line(number, line) for number, line in enumerate(lines[1:end], start=2)]
    raw = "\n".join(lines[1:end])
    try:
        matter = tomllib.loads(raw) if fence == "+++" else (yaml.safe_load(raw) or {})
    except tomllib.TOMLDecodeError as error:
        line, column, problem = toml_error_position(str(error), matter_lines, closing_line=end + 1)
        raise HugoFormatError(path, line, f"bad TOML front matter: {problem}", column) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problem = getattr(error, "problem", None) or str(error)
        if mark is None:
            raise HugoFormatError(path, 2, f"bad YAML front matter: {problem}") from None
        # The mark counts from 0 within the front matter.
        raise HugoFormatError(path, mark.line + 2, f"bad YAML front matter: {problem}", mark.column + 1) from None
    if not isinstance(matter, dict):
        raise HugoFormatError(path, 2, "the front matter must be a set of key = value pairs")
    body = [Line(number, text) for number, text in enumerate(lines[end + 1 :], start=end + 2)]
    return FrontMatter(matter, matter_lines), body


TOML_POSITION = re.compile(r"\s*\((?:at line (?P<line>\d+), column (?P<column>\d+)|at end of document)\)\s*$")


def toml_error_position(message: str, matter_lines: list[Line], *, closing_line: int) -> tuple[int, int, str]:
    """The file's line and column of a `tomllib` error, and its message without tomllib's own position, which
    counts from the front matter's first line and would contradict the file's."""
    found = TOML_POSITION.search(message)
    problem = message[: found.start()] if found else message
    if found and found.group("line"):
        return int(found.group("line")) + 1, int(found.group("column")), problem
    # At the end of the document: after the last line that holds anything, or at the closing fence.
    last = next((line for line in reversed(matter_lines) if line.text.strip()), None)
    if last is None:
        return closing_line, 1, problem
    return last.number, len(last.text) + 1, problem


# --- Facts ------------------------------------------------------------------------------------------------


def parse_duration(path: Path, line: Line, value: str) -> tuple[int | None, Decimal | None]:
    # Spaces collapsed first: the pattern's neighbouring optional spaces would otherwise share out a long run of
    # spaces in every possible way.
    found = re.fullmatch(
        r"(?:(?P<days>\d+)\s+days?)?\s*\(?\s*(?:(?P<hours>\d+(?:\.\d+)?)\s+hours?)?\s*\)?",
        " ".join(value.split()),
        re.I,
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
    return list(dict.fromkeys(code for code, _ in course_codes_at(text)))


def course_codes_at(text: str) -> list[tuple[str, int]]:
    """Each course code `text` names, with its column (from 1)."""
    if re.fullmatch(r"(?:none|no prerequisites?|-)?\s*\.?", text.strip(), re.I):
        return []
    return [
        (found.group(), found.start() + 1)
        for found in CAPITALS_WORD.finditer(text)
        if sum("A" <= c <= "Z" for c in found.group()) >= 2 and found.group() not in NOT_CODES
    ]


def course_code_from(title: str, matter: dict) -> str | None:
    for key in ("code", "course_code"):
        if matter.get(key):
            return str(matter[key]).strip().upper()
    params = matter.get("params")
    if isinstance(params, dict) and params.get("code") and not isinstance(params["code"], dict | list):
        return str(params["code"]).strip().upper()
    return code_at_start(title)


CODE_START = re.compile(r"\s*([A-Z][A-Z0-9-]*)")
WORD_CHARACTER = re.compile(r"\w")


def code_at_start(text: str) -> str | None:
    r"""What `\s*([A-Z][A-Z0-9-]*\d[A-Z0-9-]*|[A-Z]{2,})\b` matches at the start of `text`: the longest run of
    capitals, digits and hyphens that holds a digit and ends at a word boundary, else the longest run of two or more
    capitals that does. Written out because the pattern tries every way of splitting a long run around its digit."""
    found = CODE_START.match(text)
    if not found:
        return None
    start, run = found.start(1), found.group(1)

    def ends_a_word(length: int) -> bool:
        after = start + length
        inside = WORD_CHARACTER.match(text[after - 1]) is not None
        outside = after < len(text) and WORD_CHARACTER.match(text[after]) is not None
        return inside != outside

    first_digit = next((i for i, c in enumerate(run) if c in "0123456789"), None)
    if first_digit is not None:
        for length in range(len(run), first_digit, -1):
            if ends_a_word(length):
                return run[:length]
    capitals = len(run) - len(run.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    for length in range(capitals, 1, -1):
        if ends_a_word(length):
            return run[:length]
    return None


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
        found = heading(line.text)
        if found and found.level == 2:
            sections.append(Section(found.text, line.number, []))
        elif sections:
            sections[-1].lines.append(line)
        else:
            preamble.append(line)
    return preamble, sections


def leading_intro(lines: list[Line]) -> tuple[str, list[Line]]:
    """Paragraph lines before the first list item or sub-heading, joined as one intro."""
    taken = 0
    for line in lines:
        if BULLET.match(line.text) or NUMBERED.match(line.text) or heading(line.text):
            break
        if (BOLD_LEAD.match(line.text) and FACT.match(line.text)) or SESSION.match(line.text):
            break
        taken += 1
    # Counted, then sliced once: popping the head of a list line by line is quadratic in the section's length.
    return " ".join(line.text.strip() for line in lines[:taken]), list(lines[taken:])


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


def objective(text: str) -> dict:
    """An objective's verb (in bold, or else its first word) and the rest of it."""
    lead = BOLD_LEAD.match(text)
    if lead:
        return {"verb": lead.group("name").strip(), "text": plain(lead.group("rest"))}
    verb, _, rest = plain(text).partition(" ")
    return {"verb": verb, "text": rest}


def list_section(key: str, read_item: Callable[[str], object]) -> Callable[[Section], dict | None]:
    """The parser of a kind of section that is an intro and one list, the list's items read by `read_item` and
    stored under `key`. A section with no list, or with an item that `read_item` cannot read (None), does not fit."""

    def parse(section: Section) -> dict | None:
        intro, rest = leading_intro(section.content())
        items = [read_item(item) for item in parse_items(rest) or []]
        if not items or None in items:
            return None
        return {"heading": section.heading, "intro": intro, key: items}

    return parse


parse_audience = list_section("people", plain)
parse_objectives = list_section("objectives", objective)
parse_requirements = list_section("requirements", plain)
parse_named_items = list_section("items", named_item)


def parse_titled_lists(section: Section, key: str) -> dict | None:
    intro, rest = leading_intro(section.content())
    groups = []
    for line in rest:
        found = heading(line.text)
        if found and found.level == 3:
            groups.append({"title": plain(found.text), "items": []})
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
        found = heading(line.text)
        if found and found.level == 3:
            day = DAY.match(plain(found.text))
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


def parse_registration(section: Section) -> dict | None:
    intro, rest = leading_intro(section.content())
    details = []
    for line in rest:
        fact = FACT.match(line.text.strip())
        if not fact:
            break
        if not inline_is_plain(fact.group("value")):
            return None
        details.append({"name": fact.group("label").strip(), "description": plain(fact.group("value"))})
    rest = rest[len(details) :]
    steps_heading = ""
    if rest and (found := heading(rest[0].text)) and found.level == 3:
        steps_heading = plain(found.text)
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
    if any(heading(line.text) for line in closing) or not any(line.text.strip() for line in closing):
        return []
    del last.lines[rules[-1] :]
    return [line for line in closing if line.text.strip()]


def parse_course(path: Path, text: str | None = None, *, max_bytes: int = DEFAULT_MAX_BYTES) -> CourseDocument:
    """The course a file describes; `text`, when given, stands for the file's content (and is checked the same)."""
    path = Path(path)
    if text is None:
        text = read_source(path, max_bytes=max_bytes)
    else:
        check_given_text(path, text, max_bytes=max_bytes)
    matter, body = split_front_matter(path, text)
    check_links(path, body)
    title = front_matter_title(path, matter)
    preamble_lines, sections = split_sections(body)
    closing = split_call_to_action(sections)
    preamble = read_preamble(preamble_lines)
    code = course_code_from(title, matter.values) or course_code_from(preamble.long_title, {})
    if not code:
        raise HugoFormatError(
            path, 2, 'cannot tell the course code: start the title with it ("ALS2 (Advanced)") or add code = "ALS2"'
        )
    document = CourseDocument(
        path=path,
        title=title,
        slug=(matter.text(path, "slug") or path.stem).strip().lower(),
        code=code,
        validity_months=read_validity(path, preamble.facts),
        long_title=preamble.long_title,
        summary=matter.text(path, "description"),
        intro_html=render_html(preamble.intro) if any(line.text.strip() for line in preamble.intro) else "",
    )
    read_optional_facts(document, preamble.facts)
    document.blocks.extend(section_block(section, document) for section in sections)
    read_call_to_action(document, closing)
    return document


def check_given_text(path: Path, text: str, *, max_bytes: int) -> None:
    """The checks `read_source` makes of a file's bytes, made of text given in the file's place."""
    size = len(text.encode("utf-8", errors="surrogatepass"))
    if size > max_bytes:
        raise HugoFormatError(path, None, too_large(size, max_bytes))
    check_characters(path, text)


def front_matter_title(path: Path, matter: FrontMatter) -> str:
    """The page title, once every front-matter key the import reads is known to be text."""
    for key in ("title", "description", "slug", "code", "course_code"):
        matter.text(path, key)
    title = matter.text(path, "title")
    if not title:
        raise HugoFormatError(path, 2, 'the front matter has no title (expected title = "…")')
    if len(title) > MAX_TITLE_CHARS:
        raise HugoFormatError(
            path, matter.line_of("title"), f"the title is {len(title):,} characters long; at most {MAX_TITLE_CHARS}"
        )
    return title


@dataclass
class Preamble:
    """What comes before the first section: the long title (the first `#` heading), the course's facts
    (`**Label**: value` lines, by the fact each label names) and the introduction (every other line)."""

    long_title: str = ""
    facts: dict[str, tuple[Line, str]] = field(default_factory=dict)
    intro: list[Line] = field(default_factory=list)


def read_preamble(lines: list[Line]) -> Preamble:
    preamble = Preamble()
    for line in lines:
        found = heading(line.text)
        if found and found.level == 1 and not preamble.long_title:
            preamble.long_title = found.text
            continue
        fact = FACT.match(line.text.strip())
        if fact and fact.group("label").strip().lower() in FACT_LABELS:
            preamble.facts[FACT_LABELS[fact.group("label").strip().lower()]] = (line, fact.group("value"))
        else:
            preamble.intro.append(line)
    return preamble


def read_validity(path: Path, facts: dict[str, tuple[Line, str]]) -> int:
    """The certification's validity in months: the one fact every course page must state."""
    if "validity" not in facts:
        raise HugoFormatError(
            path, None, "no **Certification** line: expected one like '**Certification**: Valid for 2 years'"
        )
    return parse_validity(path, *facts["validity"])


def read_optional_facts(document: CourseDocument, facts: dict[str, tuple[Line, str]]) -> None:
    """The duration, the class size and the prerequisites, each where the page states it."""
    if "duration" in facts:
        document.duration_days, document.duration_hours = parse_duration(document.path, *facts["duration"])
    if "capacity" in facts:
        document.max_participants_per_instructor = parse_capacity(document.path, *facts["capacity"])
    if "prerequisites" in facts:
        read_prerequisites(document, *facts["prerequisites"])


# Where a booking link of an imported page leads: the course page's own dates, where the portal takes bookings.
BOOKING_SECTION = "#dates"


def books(words: str) -> bool:
    return re.search(r"\bbook", words, re.I) is not None


def to_booking_section(line: Line) -> Line:
    """The line with each link that names booking ("Book your ALS2 course now") pointed at the course's dates:
    the static site's booking address (/book-now/) is not the portal's, and the portal books on the page itself."""
    text = LINK.sub(lambda link: f"[{link[1]}]({BOOKING_SECTION})" if books(link[1]) else link[0], line.text)
    return Line(line.number, text)


def read_call_to_action(document: CourseDocument, closing: list[Line]) -> None:
    """The closing lines as the call to action (its booking links rewritten to the course's dates), and its first
    contact link."""
    if not closing:
        return
    for words, url in LINK.findall(" ".join(line.text for line in closing)):
        checked_link(document.path, closing, url)  # refused at its line whatever it names
        if not books(words) and re.search(r"contact", words, re.I) and not document.contact_url:
            document.contact_url = url
    document.call_to_action_html = render_html([to_booking_section(line) for line in closing])


def read_prerequisites(document: CourseDocument, line: Line, value: str) -> None:
    """The course codes of the **Prerequisites** line, each with where it is written; a course that names itself
    is refused (it could never be booked: nobody holds it before taking it)."""
    offset = line.text.find(value) if value else 0
    for code, column in course_codes_at(value):
        if code == document.code:
            raise HugoFormatError(
                document.path,
                line.number,
                f"{code} names itself as a prerequisite: a course cannot require a current certification of itself",
                offset + column,
            )
        if code not in document.prerequisite_at:
            document.prerequisite_codes.append(code)
            document.prerequisite_at[code] = (line.number, offset + column)


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
                    read_required_assessments(value["requirements"], document)
                if block_type == "registration":
                    fee = next((d for d in value["details"] if "fee" in d["name"].lower()), None)
                    if fee:
                        document.fee_text = fee_or_placeholder(fee)
                return block_type, value
    return generic_section(section)


# A value the static page left to be filled in, written as "[Contact for current pricing]".
PLACEHOLDER = re.compile(r"\A\[[^\[\]]*\]\Z")
NO_FEE_GIVEN = "Contact us for the fee"


def fee_or_placeholder(fee: dict) -> str:
    """The course fee, or nothing when the page gives a placeholder (the course page then says to ask for it); the
    registration section says "Contact us for the fee" rather than the brackets."""
    if PLACEHOLDER.match(fee["description"].strip()):
        fee["description"] = NO_FEE_GIVEN
        return ""
    return fee["description"]


def read_pass_marks(requirements: list[str], document: CourseDocument) -> None:
    for requirement in requirements:
        percent = re.search(r"(\d{1,3})\s*%", requirement)
        if not percent or int(percent.group(1)) > 100:
            continue
        if re.search(r"exam|test|score", requirement, re.I) and document.written_exam_pass_mark is None:
            document.written_exam_pass_mark = int(percent.group(1))
        elif re.search(r"attend", requirement, re.I) and document.attendance_required is None:
            document.attendance_required = int(percent.group(1))


# A requirement that names a practical or a scenario assessment, and is not about the written exam ("scenario-based
# questions" in an exam are still the exam).
PRACTICAL = re.compile(r"\bpractical\b", re.I)
SCENARIO = re.compile(r"\bscenario", re.I)
EXAM = re.compile(r"\b(?:exam|examination|test|score)\b", re.I)


def read_required_assessments(requirements: list[str], document: CourseDocument) -> None:
    """Which pass-or-fail assessments the certification requirements name, e.g. "Pass the practical cardiac arrest
    simulation" or "Successfully complete complex scenario-based assessments"."""
    for requirement in requirements:
        if EXAM.search(requirement):
            continue
        document.requires_practical_assessment |= bool(PRACTICAL.search(requirement))
        document.requires_scenario_assessment |= bool(SCENARIO.search(requirement))
