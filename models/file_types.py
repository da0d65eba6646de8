"""What a file is, read from its first bytes (never from its name): PDF, Office Open XML, images."""
from __future__ import annotations

import io
import unicodedata
import zipfile

from .text import nfc

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
#: content type -> the file name endings it may carry (the first is added to a name without one)
EXTENSIONS = {PDF: (".pdf",), PNG: (".png",), JPEG: (".jpg", ".jpeg"), DOCX: (".docx",),
              XLSX: (".xlsx",), PPTX: (".pptx",)}
#: Office Open XML: the part a package of each kind must have, and its main content type
OOXML = {DOCX: ("word/document.xml", DOCX + ".main+xml"),
         XLSX: ("xl/workbook.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"),
         PPTX: ("ppt/presentation.xml", PPTX + ".main+xml")}
CONTENT_TYPES_MAX = 1024 * 1024  # a larger [Content_Types].xml is not read (a zip bomb)


def _ooxml(data: bytes) -> str | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            names = set(package.namelist())
            info = package.getinfo("[Content_Types].xml")
            if info.file_size > CONTENT_TYPES_MAX:
                return None
            types = package.read(info).decode("utf-8", "replace")
    except (zipfile.BadZipFile, KeyError, OSError, RuntimeError, NotImplementedError, EOFError):
        return None
    for kind, (part, main) in OOXML.items():
        if part in names and main in types:
            return kind
    return None


def detect_type(data: bytes) -> str | None:
    """The content type of an accepted file, or None when it is none of them."""
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"PK\x03\x04"):
        return _ooxml(data)
    return None


def clean_filename(name: str | None, limit: int = 255) -> str:
    """A file name as people wrote it, in NFC: no folders, no control characters, within `limit`."""
    name = nfc(name or "") or ""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip(" .")
    if len(name) > limit:
        stem, dot, ext = name.rpartition(".")
        name = (stem[:limit - len(ext) - 1] + dot + ext) if dot and len(ext) < 10 else name[:limit]
    return name


def extension_of(name: str) -> str:
    return ("." + name.rsplit(".", 1)[1].lower()) if "." in name else ""
