"""The registry tree collapsed by district: communes load on demand when there are many."""
from __future__ import annotations

import re

import webapp.registry


def test_many_communes_load_per_district_on_demand(client, hanoi, make_user, auth, monkeypatch):
    monkeypatch.setattr(webapp.registry, "INLINE_COMMUNES", 0)
    auth.login(make_user("viewer", hanoi["city"]))
    page = client.get("/units").get_data(as_text=True)
    assert "Quận Ba Đình" in page and "Sở Nội vụ" in page
    assert "Phường Phúc Xá" not in page  # not rendered until the district opens
    url = re.search(r'data-fragment="([^"]+)"', page).group(1)
    fragment = client.get(url)
    assert fragment.status_code == 200
    text = fragment.get_data(as_text=True)
    assert "Phường Phúc Xá" in text and "<html" not in text and "badge" in text
    assert client.get("/units/nope/communes").status_code == 404


def test_the_fragment_needs_a_session(client, hanoi):
    assert client.get("/units/legacy:001/communes").status_code in (302, 401)
