"""Theories of change: parsed from text, drawn as SVG, saved as versions — by page and API."""

import pytest
from django.test import Client
from django.urls import reverse

from evaluations import theory
from evaluations.models import TheoryOfChange
from pine import services as pine_services

KNOWN = {"re_referrals_12m", "cp_plans_rate"}
TEXTS = {
    "inputs": "Two family group conference coordinators",
    "activities": "Offer a conference at the front door\nFollow up after 3 months",
    "outputs": "Families have a plan they made",
    "short_term": "Fewer re-referrals",
    "long_term": "Fewer children on protection plans",
    "assumptions": "Families take part",
}
LINKS = "AC1 -> OP1\nac2->op1\nOP1 -> ST1\nST1 -> LT1"
MEASURES = "ST1: re_referrals_12m\nLT1: cp_plans_rate"


def test_text_becomes_numbered_elements_links_and_measures():
    content, problems = theory.parse(TEXTS, LINKS, MEASURES, known_measures=KNOWN)
    assert problems == []
    assert [e["id"] for e in content["elements"]] == ["IN1", "AC1", "AC2", "OP1", "ST1", "LT1", "AR1"]
    assert content["links"] == [["AC1", "OP1"], ["AC2", "OP1"], ["OP1", "ST1"], ["ST1", "LT1"]]
    assert content["measures"] == {"ST1": ["re_referrals_12m"], "LT1": ["cp_plans_rate"]}
    assert theory.parse(theory.as_texts(content), theory.as_texts(content)["links"], theory.as_texts(content)["measures"],
                        known_measures=KNOWN)[0] == content  # fmt: skip


@pytest.mark.parametrize(
    ("links", "measures", "field", "message"),
    [
        ("AC1 to OP1", "", "links", "Line 1: write a link"),
        ("AC9 -> OP1", "", "links", "there is no AC9"),
        ("OP1 -> OP1", "", "links", "cannot lead to itself"),
        ("", "AC1: re_referrals_12m", "measures", "AC1 is not a short- or long-term outcome"),
        ("", "ST1: made_up", "measures", "unknown measure code made_up"),
        ("", "ST1 re_referrals_12m", "measures", "Line 1: write"),
    ],
)
def test_each_mistake_is_named_by_line(links, measures, field, message):
    _, problems = theory.parse(TEXTS, links, measures, known_measures=KNOWN)
    assert any(p.field == field and message in p.message for p in problems), problems


def test_a_theory_needs_an_outcome():
    _, problems = theory.parse({"activities": "Something"}, "", "", known_measures=KNOWN)
    assert problems[0].message == "Add at least one outcome (short- or long-term)."


def test_the_diagram_has_a_box_per_element_an_arrow_per_link_and_escapes_text():
    content, _ = theory.parse(
        {**TEXTS, "outputs": "Plans <script>alert(1)</script> & more"}, LINKS, MEASURES, known_measures=KNOWN
    )
    svg = theory.svg(content, title="Theory")
    assert svg.count("<rect ") == 1 + len(content["elements"])  # the background, then one per element
    assert svg.count("<line ") == len(content["links"])
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert "measure: re_referrals_12m" in svg and svg.startswith("<svg") and 'role="img"' in svg


@pytest.mark.django_db
class TestPages:
    @pytest.fixture
    def form_data(self):
        return {**TEXTS, "links": LINKS, "measures": MEASURES}

    def test_saving_makes_versions_and_unchanged_saves_do_not(self, client, contributor, partner, evaluation, form_data):
        client.force_login(contributor)
        url = reverse("evaluations:theory", args=[partner.slug, evaluation.code])
        assert client.post(url, form_data).status_code == 302
        assert client.post(url, form_data).status_code == 302
        assert TheoryOfChange.objects.count() == 1
        client.post(url, {**form_data, "long_term": "Fewer children on protection plans\nMore children safely at home"})
        assert list(TheoryOfChange.objects.values_list("version", flat=True)) == [2, 1]
        page = client.get(url).content.decode()
        assert "Version 2" in page and "<svg" in page and "More children safely at home" in page
        old = client.get(url + "?version=1").content.decode()
        assert "an earlier version" in old and "More children safely at home" not in old.split("<form")[0]
        assert client.get(url + "?version=abc").status_code == 404
        svg = client.get(reverse("evaluations:theory_download", args=[partner.slug, evaluation.code, "svg"]) + "?version=1")
        assert svg["Content-Type"] == "image/svg+xml" and b"Fewer re-referrals" in svg.content
        png = client.get(reverse("evaluations:theory_download", args=[partner.slug, evaluation.code, "png"]))
        assert png["Content-Type"] == "image/png" and png.content.startswith(b"\x89PNG")

    def test_the_structured_editor_pages(self, client, contributor, partner, evaluation, form_data):
        client.force_login(contributor)
        url = reverse("evaluations:theory", args=[partner.slug, evaluation.code])
        page = client.post(url, {"action": "add", "element-kind": "activities", "element-text": ""}).content.decode()
        assert "There is a problem" in page and "Describe the element" in page
        client.post(url, {"action": "add", "element-kind": "activities", "element-text": "Offer a conference"})
        client.post(url, {
            "action": "add", "element-kind": "short_term", "element-text": "Fewer re-referrals",
            "element-comes_from": ["AC1"], "element-measures": ["re_referrals_12m"],
        })  # fmt: skip
        latest = TheoryOfChange.objects.first()
        assert latest.version == 2 and latest.content["links"] == [["AC1", "ST1"]]
        page = client.get(url).content.decode()
        assert "Re-referrals within 12 months" in page and "Leads to ST1" in page
        element = reverse("evaluations:theory_element", args=[partner.slug, evaluation.code, "AC1"])
        page = client.get(element).content.decode()
        assert "Change AC1" in page and 'value="ST1" checked' in page
        client.post(element, {"element-text": "Offer a conference at the front door"})
        assert TheoryOfChange.objects.first().content["links"] == []  # its link was unticked
        client.post(element, {"action": "remove"})
        assert [e["id"] for e in TheoryOfChange.objects.first().content["elements"]] == ["ST1"]
        assert client.get(reverse("evaluations:theory_element", args=[partner.slug, evaluation.code, "AC9"])).status_code == 404

    def test_mistakes_are_shown_and_nothing_is_saved(self, client, contributor, partner, evaluation, form_data):
        client.force_login(contributor)
        url = reverse("evaluations:theory", args=[partner.slug, evaluation.code])
        page = client.post(url, {**form_data, "links": "AC1 -> ZZ9"}).content.decode()
        assert "There is a problem" in page and "there is no ZZ9" in page
        assert not TheoryOfChange.objects.exists()

    def test_through_the_api_and_not_for_the_other_partner(self, lead, partner, evaluation, other_lead, other_partner, form_data):
        _, key = pine_services.api_token_create(user=lead, name="t")
        api = Client(HTTP_AUTHORIZATION=f"Token {key}")
        url = f"/api/v1/partners/{partner.slug}/evaluations/{evaluation.code}/theory-of-change/"
        assert api.get(url).status_code == 404
        saved = api.put(url, form_data, content_type="application/json")
        assert saved.status_code == 200 and saved.json()["version"] == 1
        bad = api.put(url, {**form_data, "measures": "ST1: nope"}, content_type="application/json")
        assert bad.status_code == 400 and "unknown measure code nope" in bad.json()["measures"][0]
        _, other_key = pine_services.api_token_create(user=other_lead, name="t")
        other = Client(HTTP_AUTHORIZATION=f"Token {other_key}")
        assert (
            other.get(f"/api/v1/partners/{other_partner.slug}/evaluations/{evaluation.code}/theory-of-change/").status_code == 404
        )
        browser = Client()
        browser.force_login(other_lead)
        assert browser.get(reverse("evaluations:theory", args=[other_partner.slug, evaluation.code])).status_code == 404
        svg_url = reverse("evaluations:theory_download", args=[other_partner.slug, evaluation.code, "svg"])
        assert browser.get(svg_url).status_code == 404


def test_the_structured_editor_adds_changes_and_removes_elements_keeping_the_numbering():
    content = {"elements": [], "links": [], "measures": {}}
    content, problems = theory.element_add(content, kind="activities", text="Offer a conference")
    assert problems == [] and [e["id"] for e in content["elements"]] == ["AC1"]
    content, _ = theory.element_add(content, kind="activities", text="Follow up after 3 months")
    content, _ = theory.element_add(
        content, kind="short_term", text="Fewer re-referrals", comes_from=["AC1", "AC2"], measures=["re_referrals_12m"],
        known_measures=KNOWN,
    )  # fmt: skip
    assert content["links"] == [["AC1", "ST1"], ["AC2", "ST1"]] and content["measures"] == {"ST1": ["re_referrals_12m"]}
    # The text form reads back exactly what the structured editor made.
    texts = theory.as_texts(content)
    assert theory.parse(texts, texts["links"], texts["measures"], known_measures=KNOWN)[0] == content
    content, _ = theory.element_change(content, "AC2", text="Follow up at 3 months", leads_to=[], comes_from=["AC1"])
    assert ["AC2", "ST1"] not in content["links"] and ["AC1", "AC2"] in content["links"]
    content = theory.element_remove(content, "AC1")
    assert [e["id"] for e in content["elements"]] == ["AC1", "ST1"] and content["elements"][0]["text"] == "Follow up at 3 months"
    assert content["links"] == [] and content["measures"] == {"ST1": ["re_referrals_12m"]}
    _, problems = theory.element_add(content, kind="outputs", text=" ", leads_to=["ZZ9"])
    assert {p.field for p in problems} == {"text", "leads_to"}
    _, problems = theory.element_add(content, kind="short_term", text="x", measures=["nope"], known_measures=KNOWN)
    assert problems[0].field == "measures"


def test_the_diagram_names_measures_wraps_long_text_and_fits_the_page():
    long = "A very long description of an activity " * 4
    content, _ = theory.element_add({"elements": []}, kind="activities", text=long.strip())
    content, _ = theory.element_add(content, kind="short_term", text="Fewer", measures=["re_referrals_12m"], known_measures=KNOWN)
    svg = theory.svg(content, title="T", measure_names={"re_referrals_12m": "Re-referrals within 12 months"}, fit=True)
    assert "measure: Re-referrals" in svg and "within 12" in svg and "re_referrals_12m" not in svg
    assert 'width="100%"' in svg and "max-width" in svg
    lines = [t.split(">")[1].split("<")[0] for t in svg.split("<text")[1:]]
    assert max(len(line) for line in lines) <= theory.WRAP + 4 and sum("very long" in line for line in lines) >= 3
    assert "max-width" not in theory.svg(content, title="T")  # a downloaded file keeps its size
