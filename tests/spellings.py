"""What an attacker types instead of the link: the same address in other digit forms, cases, slashes and
encodings. The gates must answer every spelling as they answer the link, or 404 (400 for a NUL character)."""

# Unicode digit zeros: Python's int() and regex \d accept these digits, Django's <int:> converter does not.
DIGIT_ZEROS = {"arabic-indic": 0x0660, "fullwidth": 0xFF10, "devanagari": 0x0966, "bengali": 0x09E6}


def in_digits(number: int, zero: int) -> str:
    return "".join(chr(zero + int(digit)) for digit in str(number))


def number_forms(number: int) -> list[str]:
    plain = str(number)
    return [
        plain,
        f"0{plain}",
        f"000{plain}",
        f"%3{plain[0]}{plain[1:]}",  # the first digit percent-encoded
        *(in_digits(number, zero) for zero in DIGIT_ZEROS.values()),
    ]


def document_spellings(document) -> list[str]:
    name = document.filename
    forms = [f"/documents/{number}/{name}" for number in number_forms(document.pk)]
    plain = str(document.pk)
    return [
        *forms,
        f"/documents/{plain}/{name}/",
        f"/documents/{plain}/{name.upper()}",
        f"/Documents/{plain}/{name}",
        f"/DOCUMENTS/{plain}/{name}",
        f"/documents/{plain}%2F{name}",
        f"/documents/{plain}%2f{name}",
        f"/documents/{plain}//{name}",
        f"/documents//{plain}/{name}",
        f"/documents/{plain}/./{name}",
        f"/documents/x/../{plain}/{name}",
        f"/%64ocuments/{plain}/{name}",
        f"/documents/{plain}/{name}?download=1",
        f"/documents/{plain}/{name}%00",
        f"/documents/{plain}/{name};x",
        f"/documents/{plain}/",
        f"/documents/{plain}",
        f"/media/documents/{name}",
        f"/media/{document.file.name}",
    ]


def image_spellings(page_id: int, image, sizes=("width-400", "width-800", "original", "width-4000", "max-10x10")):
    paths = [
        f"/materials/{page}/images/{number}/{size}/"
        for page in number_forms(page_id)
        for number in number_forms(image.pk)
        for size in sizes[:2]
    ]
    return [
        *paths,
        *(f"/materials/{page_id}/images/{image.pk}/{size}/" for size in sizes),
        f"/materials/{page_id}/images/{image.pk}/width-400",
        f"/MATERIALS/{page_id}/images/{image.pk}/width-400/",
        f"/media/{image.file.name}",
        f"/media/original_images/{image.file.name.rsplit('/', 1)[-1]}",
        f"/images/{image.pk}/width-400/",
        f"/admin/images/{image.pk}/preview/width-400/",
    ]
