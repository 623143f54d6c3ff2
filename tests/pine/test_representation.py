"""pine.representation: output serializers give exactly REST framework's output; the API's
pagination counts without a COUNT query when a page tells the count; the submission list reads a
fixed number of queries however many rows it shows."""

import json
from collections import OrderedDict
from datetime import UTC, date, datetime, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework import serializers

from evaluations.api import EvaluationOut
from outcomes.api import SubmissionOut
from outcomes.models import Submission
from pine.representation import OutputSerializer
from tests import factories
from tests.conftest import in_scope_of, token_client

pytestmark = pytest.mark.django_db


def frameworks(serializer_class, instance, **kwargs):
    """What REST framework's own Serializer.to_representation gives."""
    with mock.patch.object(OutputSerializer, "to_representation", serializers.Serializer.to_representation):
        return serializer_class(instance, **kwargs).data


def ours(serializer_class, instance, **kwargs):
    return serializer_class(instance, **kwargs).data


def same(serializer_class, instance, **kwargs):
    mine, theirs = ours(serializer_class, instance, **kwargs), frameworks(serializer_class, instance, **kwargs)
    assert json.dumps(mine) == json.dumps(theirs)  # the same values, keys in the same order
    return mine


CHANGE = {
    "kind": "new",
    "measure": "entries_to_care",
    "group": "intervention",
    "period_start": "2026-01-01",
    "period_end": "2026-01-31",
    "old": None,
    "new": {"value": "12.5", "numerator": "5", "denominator": "40"},
}


def submissions(partner, evaluation, lead):
    later = factories.SubmissionFactory(evaluation=evaluation, uploaded_by=lead, changes=[CHANGE], row_count=16)
    return [
        later,
        factories.SubmissionFactory(
            evaluation=evaluation,
            uploaded_by=lead,
            status=Submission.Status.SUPERSEDED,
            superseded_by=later,
            # Written by older versions: a change with a key the API does not show, numbers as numbers,
            # an old value; a warning without its kind (the API's default names it).
            changes=[{**CHANGE, "kind": "changed", "old": {"value": 1, "numerator": 2, "denominator": 3}, "extra": "x"}],
            warnings=[
                {
                    "row": "4",
                    "measure": "m",
                    "group": "g",
                    "period_start": "2026-01-01",
                    "value": "4.0",
                    "previous_period_start": "2025-12-01",
                    "previous_value": "1.0",
                    "reason": "r",
                }
            ],
        ),
        factories.SubmissionFactory(
            evaluation=evaluation,
            uploaded_by=lead,
            status=Submission.Status.REJECTED,
            errors=[{"row": 2, "column": "value", "value": "n/a", "reason": "Give a number."}],
            finished_at=timezone.now(),
            explanation="Because.",
        ),
    ]


def test_the_api_output_serializers_give_rest_frameworks_output(partner, lead, evaluation):
    submissions(partner, evaluation, lead)
    rows = list(Submission.objects.select_related("evaluation", "superseded_by").filter(evaluation=evaluation))
    listed = same(SubmissionOut, rows, many=True)
    assert len(listed) == 3
    superseded = next(row for row in listed if row["status"] == "superseded")
    assert superseded["superseded_by"] == next(row["code"] for row in listed if row["status"] == "accepted")
    assert superseded["warnings"][0]["kind"] == "unusual_change"  # the field's default, as before
    assert "extra" not in superseded["changes"][0] and superseded["changes"][0]["old"] == {
        "value": "1",
        "numerator": "2",
        "denominator": "3",
    }
    assert next(row for row in listed if row["status"] == "accepted")["superseded_by"] is None
    for row in rows:
        same(SubmissionOut, row)
    evaluation.population = {"2024": 61250}
    assert same(EvaluationOut, evaluation)["population"] == {"2024": 61250}
    same(EvaluationOut, [evaluation], many=True)


class Thing:
    def __init__(self, **values):
        self.__dict__.update(values)

    def shout(self):
        return self.name.upper()


class Inner(OutputSerializer):
    label = serializers.CharField()
    when = serializers.DateField()
    size = serializers.IntegerField(required=False)  # missing: left out


class Everything(OutputSerializer):
    name = serializers.CharField()
    shout = serializers.CharField()  # a method: called, as the framework does
    code = serializers.UUIDField()
    short = serializers.UUIDField(source="code", format="hex")
    count = serializers.IntegerField()
    flag = serializers.BooleanField()
    ratio = serializers.FloatField()
    at = serializers.DateTimeField()
    day = serializers.DateField()
    colour = serializers.ChoiceField(choices=[("r", "Red"), ("g", "Green")])
    parent_name = serializers.CharField(source="parent.name", default="none")  # through None: the default
    inner = Inner()
    inners = Inner(many=True)
    mapping = Inner(source="ordered")  # a mapping that is not a dict: read by key
    whole = serializers.CharField(source="*")
    extra = serializers.SerializerMethodField()
    absent = serializers.CharField(required=False)  # no such attribute: left out
    nothing = serializers.CharField(allow_null=True)

    def get_extra(self, instance):
        return f"{instance.name}!"


def test_any_field_gives_what_rest_framework_gives():
    import uuid

    thing = Thing(
        name="ann",
        code=uuid.uuid4(),
        count="7",
        flag="true",
        ratio=0.5,
        at=timezone.now(),
        day=date(2026, 1, 2),
        colour="g",
        parent=None,
        inner={"label": 3, "when": "2026-01-01"},
        inners=[{"label": "a", "when": date(2026, 1, 1), "size": 2}, {"label": "b", "when": "", "size": None}],
        ordered=OrderedDict(label="o", when="2026-02-01"),
        nothing=None,
    )
    thing.__str__ = lambda: "x"
    data = same(Everything, thing)
    assert data["shout"] == "ANN" and data["short"] == thing.code.hex and data["parent_name"] == "none"
    assert data["inners"][1]["when"] is None and data["inners"][1]["size"] is None and "size" not in data["inner"]
    assert "absent" not in data and data["nothing"] is None and data["extra"] == "ann!"
    same(Everything, [thing, Thing(**{**thing.__dict__, "parent": Thing(name="p"), "count": 8})], many=True)


def test_a_required_field_missing_fails_as_in_rest_framework():
    with pytest.raises(AttributeError):
        ours(Inner, Thing(when="2026-01-01"))
    with pytest.raises(AttributeError):
        frameworks(Inner, Thing(when="2026-01-01"))


# --- pagination and queries ------------------------------------------------------------------------


def count_queries(captured) -> int:
    return sum("COUNT(*)" in query["sql"] for query in captured.captured_queries)


def test_a_list_counts_its_rows_without_a_count_query_when_the_page_tells_it(partner, lead, evaluation):
    factories.SubmissionFactory.create_batch(5, evaluation=evaluation, uploaded_by=lead)
    api = token_client(lead)
    url = f"/api/v1/partners/{partner.slug}/evaluations/{evaluation.code}/submissions/"
    for query, count, shown, counted in [
        ("", 5, 5, False),  # one page, not full: the page is the count
        ("?limit=5", 5, 5, True),  # full: there may be more
        ("?limit=2", 5, 2, True),
        ("?limit=2&offset=4", 5, 1, False),  # the last page, not full
        ("?limit=2&offset=5", 5, 0, True),  # past the end: counted
        ("?limit=2&offset=50", 5, 0, True),
        ("?offset=3", 5, 2, False),
    ]:
        with CaptureQueriesContext(connection) as captured:
            response = api.get(url + query)
        assert response.status_code == 200, query
        body = response.json()
        assert (body["count"], len(body["results"])) == (count, shown), query
        assert count_queries(captured) == (1 if counted else 0), query
    empty = factories.EvaluationFactory(application__partner=partner)
    with CaptureQueriesContext(connection) as captured:
        body = api.get(f"/api/v1/partners/{partner.slug}/evaluations/{empty.code}/submissions/").json()
    assert body == {"count": 0, "next": None, "previous": None, "results": []} and count_queries(captured) == 0
    assert api.get(f"/api/v1/partners/{partner.slug}/evaluations/?limit=1").json()["count"] == 2


def test_the_submission_list_makes_the_same_queries_for_one_row_or_many(partner, lead, evaluation):
    api = token_client(lead)
    url = f"/api/v1/partners/{partner.slug}/evaluations/{evaluation.code}/submissions/"
    factories.SubmissionFactory(evaluation=evaluation, uploaded_by=lead)
    api.get(url)  # the token's last use is recorded on its first
    with CaptureQueriesContext(connection) as one:
        assert len(api.get(url).json()["results"]) == 1
    submissions(partner, evaluation, lead)
    old = factories.SubmissionFactory(evaluation=evaluation, uploaded_by=lead, created_at=timezone.now() - timedelta(days=9))
    old.superseded_by = Submission.objects.filter(evaluation=evaluation).exclude(pk=old.pk).first()
    old.save()
    with CaptureQueriesContext(connection) as many:
        results = api.get(url).json()["results"]
    assert len(results) == 5
    assert len(many.captured_queries) == len(one.captured_queries)
    # The rows' uploader and the later upload's own columns are not read.
    listing = next(query["sql"] for query in many.captured_queries if '"outcomes_submission"."changes"' in query["sql"])
    assert "pine_user" not in listing and listing.count('"changes"') == 1


def test_the_submission_list_of_a_missing_or_another_partners_evaluation_is_the_same_404(
    partner, lead, evaluation, other_evaluation
):
    import uuid

    factories.SubmissionFactory(evaluation=evaluation, uploaded_by=lead)
    with in_scope_of(other_evaluation.partner):
        factories.SubmissionFactory(evaluation=other_evaluation, uploaded_by=factories.UserFactory())
    api = token_client(lead)
    answers = []
    for code in (uuid.uuid4(), other_evaluation.code):
        response = api.get(f"/api/v1/partners/{partner.slug}/evaluations/{code}/submissions/")
        answers.append((response.status_code, response.content))
    assert answers[0] == answers[1] and answers[0][0] == 404
    assert api.get(f"/api/v1/partners/{partner.slug}/evaluations/{evaluation.code}/submissions/").json()["count"] == 1


class Shouted(serializers.CharField):
    """A field of someone's own that reads the request's context."""

    def to_representation(self, value):
        return f"{value}{self.context['mark']}"


class WithContext(OutputSerializer):
    name = Shouted()
    inner = Inner()


def test_a_field_of_its_own_sees_its_serializers_context():
    thing = Thing(name="ann", inner={"label": "l", "when": "2026-01-01"})
    for mark in ("!", "?"):
        assert ours(WithContext, thing, context={"mark": mark})["name"] == f"ann{mark}"
        same(WithContext, [thing], many=True, context={"mark": mark})


# --- dates and times: the current time zone, read once per list -----------------------------------


class Times(OutputSerializer):
    at = serializers.DateTimeField()
    until = serializers.DateTimeField(allow_null=True)
    local = serializers.DateTimeField(default_timezone=ZoneInfo("America/New_York"))  # its own zone
    stamped = serializers.DateTimeField(source="at", format="%d/%m/%Y %H:%M")  # its own format
    inners = Inner(many=True)


def test_dates_and_times_are_rest_frameworks_in_any_current_time_zone():
    winter, summer = datetime(2026, 1, 15, 9, 30, tzinfo=UTC), datetime(2026, 7, 1, 23, 59, 59, 999999, tzinfo=UTC)
    rows = [
        Thing(at=winter, until=summer, local=summer, inners=[]),
        Thing(at=summer, until=None, local=winter, inners=[{"label": "x", "when": date(2026, 1, 1)}]),
        Thing(at=summer.astimezone(ZoneInfo("Asia/Kolkata")), until="2026-01-01T00:00:00Z", local=winter, inners=[]),
        Thing(at=datetime(2026, 3, 28, 1, 30), until=winter, local=winter, inners=[]),  # naive: made aware
    ]
    for zone in ("UTC", "Europe/London", "Asia/Tokyo", "America/St_Johns"):
        with timezone.override(zone):
            listed = same(Times, rows, many=True)
            for row in rows:
                same(Times, row)
    with timezone.override("UTC"):
        assert same(Times, rows, many=True)[0]["at"] == "2026-01-15T09:30:00Z"
    with timezone.override("Europe/London"):
        assert same(Times, rows, many=True)[1]["at"] == "2026-07-02T00:59:59.999999+01:00"
    assert listed[1]["until"] is None and listed[2]["until"] == "2026-01-01T00:00:00Z"


def test_a_list_reads_the_current_time_zone_once_for_all_its_rows(partner, lead, evaluation):
    submissions(partner, evaluation, lead)
    rows = list(Submission.objects.select_related("evaluation", "superseded_by").filter(evaluation=evaluation))
    expected = frameworks(SubmissionOut, rows, many=True)
    with mock.patch("django.utils.timezone.get_current_timezone", wraps=timezone.get_current_timezone) as reads:
        assert ours(SubmissionOut, rows, many=True) == expected
    assert reads.call_count == 1  # not once for each row's created_at and finished_at
