"""The templates' gettext: Flask-Babel's catalog, looked up once per request and locale.

Flask-Babel's Jinja callables find the translations on every call (nine context-local lookups,
about 25 µs), which a page of 556 invitees calls thousands of times (issue #17,
docs/performance/pages.md). These keep the catalog Flask-Babel found on the request's babel
namespace, keyed by the locale object, so `force_locale` (which swaps that object and restores
it) and `?lang=` still get their own catalog; anything unusual falls back to Flask-Babel.
"""
from __future__ import annotations

from flask import Flask
from flask.globals import _cv_app
from flask_babel import get_translations


def _translations():
    ctx = _cv_app.get(None)
    space = getattr(ctx.g, "_flask_babel", None) if ctx is not None else None
    locale = getattr(space, "babel_locale", None)
    if locale is None:  # before get_locale() ran in this request: Flask-Babel decides
        return get_translations()
    kept = getattr(space, "template_translations", None)
    if kept is not None and kept[0] is locale:
        return kept[1]
    translations = get_translations()
    space.template_translations = (locale, translations)
    return translations


def install(app: Flask) -> None:
    """Replace the Jinja gettext callables Flask-Babel installed (same newstyle behaviour)."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
    )
