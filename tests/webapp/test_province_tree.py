"""With several provinces loaded, the tree shows one province on request (?province=NN)."""
from models.registry_import import import_units


def test_tree_is_scoped_to_the_province_asked_for(client, make_user, auth):
    import_units(48, "2025")
    import_units(1, "2025")
    auth.login(make_user("admin"))
    both = client.get("/units").get_data(as_text=True)
    assert "Thành phố Đà Nẵng" in both and "Thành phố Hà Nội" in both
    da_nang = client.get("/units?province=48").get_data(as_text=True)
    assert "Thành phố Đà Nẵng" in da_nang and "Thành phố Hà Nội" not in da_nang
    assert "Phường Hải Châu" in da_nang and "Phường Ba Đình" not in da_nang
