"""Which return a file is, and lists of children for the groups. Pure: no database."""

from returns import groups, registry
from returns.cin.synthetic import Child, census_xml


def test_the_registry_offers_the_packages_present_and_tells_a_census():
    assert "cin" in registry.available()
    census = census_xml(2025, [Child("K1")])
    assert registry.choose([("anything.dat", census[:4096])]) == ("cin", "")
    assert registry.choose([("a.xml", census), ("b.xml", census)]) == ("cin", "")


def test_the_registry_refuses_what_is_no_return_naming_files_by_position():
    census = census_xml(2025, [Child("K1")])
    kind, reason = registry.choose([("a.xml", census), ("secret-name.pdf", b"%PDF-1.4")])
    assert kind is None and reason.startswith("File 2 is not a statutory return PINE recognises")
    assert "secret-name" not in reason and "Children in Need census" in reason
    assert registry.choose([], "")[0] is None
    assert registry.choose([("a.xml", census)], "nonsense")[0] is None


def test_a_kind_whose_package_is_absent_is_refused_saying_so():
    missing = [k for k in registry.KINDS if k not in registry.available()]
    for kind in missing:
        found, reason = registry.choose([("a.csv", b"x")], kind)
        assert found is None and "cannot read" in reason


def test_a_children_list_is_pseudonymised_as_it_is_read():
    seen = []

    def pseudo(ref):
        seen.append(ref)
        return "p:" + ref[::-1]

    children, problems = groups.read_children(b"\xef\xbb\xbfLAchildID\nA1\n A2 \n\nA1\n", pseudonymise=pseudo, label="the list")
    assert problems == [] and children == frozenset({"p:1A", "p:2A"})
    empty, problems = groups.read_children(b"LAchildID\n", pseudonymise=pseudo, label="the list")
    assert not empty and "no child identifiers" in problems[0].message
    binary, problems = groups.read_children(b"\x00\x01SECRET", pseudonymise=pseudo, label="the list")
    assert problems and "SECRET" not in problems[0].message
