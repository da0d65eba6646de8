"""Small files of each accepted kind (and a few impostors), made in memory for the tests."""
from __future__ import annotations

import io
import zipfile

from models.file_types import OOXML

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32


def ooxml(kind: str, main: bool = True) -> bytes:
    """A minimal Office Open XML package of `kind` (its main part and [Content_Types].xml)."""
    part, content_type = OOXML[kind]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("[Content_Types].xml", f'<Types><Override PartName="/{part}" '
                                          f'ContentType="{content_type if main else "application/xml"}"/></Types>')
        z.writestr(part, "<x/>")
    return buffer.getvalue()


def plain_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("readme.txt", "not an office file")
    return buffer.getvalue()
