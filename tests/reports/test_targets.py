"""Target rules: who may change them, and what is refused."""
import pytest

from models.errors import Forbidden, ValidationFailed
from reports.targets import rules_for_year, save_target_rule

GOOD = {"plan_year": 2020, "code": "city_90", "name": "Họp Thành phố", "levels": ["city"],
        "categories": ["trien_khai"], "target": "90"}


def test_only_admins_change_rules(hanoi, make_user):
    with pytest.raises(Forbidden):
        save_target_rule(GOOD, make_user("organizer", hanoi["city"]))
    rule = save_target_rule(GOOD, make_user("admin"))
    assert [r["code"] for r in rules_for_year(2020)] == ["city_90"]
    assert rules_for_year(2020)[0]["target"] == 90.0 and rule.plan_year == 2020


@pytest.mark.parametrize("changes, field", [
    ({"plan_year": "soon"}, "plan_year"), ({"plan_year": 1999}, "plan_year"),
    ({"code": "9lives"}, "code"), ({"code": "x" * 33}, "code"), ({"name": "  "}, "name"),
    ({"levels": ["city", "planet"]}, "levels"), ({"categories": []}, "categories"),
    ({"target": "-1"}, "target"), ({"target": "abc"}, "target"), ({"target": None}, "target"),
])
def test_bad_values_name_the_field(app, make_user, changes, field):
    with pytest.raises(ValidationFailed) as exc:
        save_target_rule({**GOOD, **changes}, make_user("admin"))
    assert field in exc.value.details
