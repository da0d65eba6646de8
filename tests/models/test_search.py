"""Search ignores case, diacritics and where the tone mark sits; đ matches d."""
import pytest

from models import db
from models.registry import units_query
from models.text import nfc, search_key


@pytest.fixture
def named(make_unit):
    city = make_unit("city", "01", name="Thành phố Hà Nội")
    d = make_unit("district", "001", city, "Quận Ba Đình")
    for code, name in [("00001", "Phường Phúc Xá"), ("00002", "Phường Yên Hoà"),
                       ("00003", "Phường Thái Hòa"), ("00004", "Phường Đống Đa"),
                       ("00005", "Xã Đông Anh")]:
        make_unit("commune", code, d, name)
    return city


def names(q):
    return sorted(u.name for u in db.session.scalars(units_query(q)))


@pytest.mark.parametrize("query, expected", [
    ("phuc xa", ["Phường Phúc Xá"]),
    ("PHÚC XÁ", ["Phường Phúc Xá"]),
    ("Phúc xa", ["Phường Phúc Xá"]),
    ("hoa", ["Phường Thái Hòa", "Phường Yên Hoà"]),
    ("hoà", ["Phường Thái Hòa", "Phường Yên Hoà"]),
    ("hòa", ["Phường Thái Hòa", "Phường Yên Hoà"]),
    ("dong da", ["Phường Đống Đa"]),
    ("đống đa", ["Phường Đống Đa"]),
    ("dong", ["Phường Đống Đa", "Xã Đông Anh"]),
    ("  ba   dinh ", ["Quận Ba Đình"]),
    ("xa dong anh", ["Xã Đông Anh"]),
    ("100%_", []),
])
def test_search(named, query, expected):
    assert names(query) == expected


def test_decomposed_input_is_normalised():
    decomposed = "Phu\u031bo\u031b\u0300ng"  # 'Phường' typed as base letters + marks
    assert nfc(decomposed) == "Phường"
    assert search_key(decomposed) == search_key("Phường") == "phuong"
