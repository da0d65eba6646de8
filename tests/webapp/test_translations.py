"""Every string the UI shows has a Vietnamese translation, and the catalog is up to date."""
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "webapp" / "translations" / "vi" / "LC_MESSAGES" / "messages.po"
METHODS = [("webapp/**.py", "python"), ("models/**.py", "python"), ("scheduler/**.py", "python"),
           ("reports/**.py", "python"), ("templates/**.html", "jinja2")]
KEYWORDS = {"_": None, "N_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None,
            "lazy_ngettext": (1, 2)}


def source_messages() -> set[str]:
    found = set()
    for _file, _line, message, _comments, _ctx in extract_from_dir(
            str(ROOT), method_map=METHODS, keywords=KEYWORDS):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def test_every_ui_string_is_translated():
    with PO.open("rb") as fh:
        catalog = read_po(fh, locale="vi")
    translated = {}
    for m in catalog:
        if m.id:
            key = m.id[0] if isinstance(m.id, tuple) else m.id
            value = m.string[0] if isinstance(m.string, tuple) else m.string
            translated[key] = value
    missing = sorted(s for s in source_messages() if not translated.get(s))
    assert not missing, "untranslated (run `make messages`, then translate): " + repr(missing)
