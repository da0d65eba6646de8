"""The layers hold: nothing under models/, scheduler/ or reports/ imports the web package or
reads Flask's request globals, at module level or inside a function."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOMAIN = ("models", "scheduler", "reports")
#: modules the domain never imports, and names it never imports from flask
FORBIDDEN_MODULES = ("webapp", "flask_babel")
FORBIDDEN_FLASK_NAMES = {"current_app", "request", "g", "session"}


def forbidden_imports(source: str) -> list[str]:
    """Each forbidden import in a module's source, as `line: what`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                top = alias.name.split(".")[0]
                if top in FORBIDDEN_MODULES:
                    found.append(f"{node.lineno}: import {alias.name}")
                elif alias.name in {f"flask.{n}" for n in FORBIDDEN_FLASK_NAMES}:
                    found.append(f"{node.lineno}: import {alias.name}")
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            top = node.module.split(".")[0]
            if top in FORBIDDEN_MODULES:
                found.append(f"{node.lineno}: from {node.module} import ...")
            elif node.module == "flask":
                names = sorted({a.name for a in node.names} & FORBIDDEN_FLASK_NAMES)
                if names:
                    found.append(f"{node.lineno}: from flask import {', '.join(names)}")
        elif (isinstance(node, ast.Attribute) and node.attr in FORBIDDEN_FLASK_NAMES
              and isinstance(node.value, ast.Name) and node.value.id == "flask"):
            found.append(f"{node.lineno}: flask.{node.attr}")
    return found


def domain_modules() -> list[Path]:
    return sorted(p for part in DOMAIN for p in (ROOT / part).rglob("*.py"))


@pytest.mark.parametrize("path", domain_modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_domain_module_does_not_reach_up(path: Path):
    assert forbidden_imports(path.read_text(encoding="utf-8")) == []


def test_every_domain_part_is_walked():
    walked = {p.relative_to(ROOT).parts[0] for p in domain_modules()}
    assert walked == set(DOMAIN)
    assert len(domain_modules()) > 30


@pytest.mark.parametrize("source", [
    "import webapp",
    "from webapp.ical import meeting_calendar_bytes",
    "def f():\n    from webapp import database\n",
    "from flask import current_app",
    "from flask import Blueprint, request",
    "from flask import g",
    "import flask_babel",
    "from flask_babel import gettext",
    "import flask\nx = flask.current_app.config",
    "class C:\n    def m(self):\n        import webapp.ical\n",
])
def test_the_walker_finds_each_kind_of_import(source: str):
    assert forbidden_imports(source)


@pytest.mark.parametrize("source", [
    "from models.base import db",
    "from .signals import meetings_saved",
    "import flask_sqlalchemy",
    "from flask import Flask",
    "from . import webapp_like",
])
def test_the_walker_lets_the_domain_imports_pass(source: str):
    assert forbidden_imports(source) == []
