"""The forms an SSDA903 return comes in — CSV files, a zip of them, the XML form — read alike, and
are told apart from other files by their first bytes."""

import io
import zipfile
from datetime import date

import pandas as pd
import pytest

from returns import ssda903
from returns.ssda903.synthetic import scenario
from returns.types import ALL, Group, Period

from .helpers import as_files, every_text, pseudonymise

YEAR = Period(date(2023, 4, 1), date(2024, 3, 31))
MONTHS = [Period(date(2023, m, 1), date(2023, m, 28)) for m in range(4, 13)]


@pytest.fixture(scope="module")
def synthetic():
    return scenario()


def read_csv(synthetic):
    return ssda903.read(as_files(synthetic.csv_files()), pseudonymise=pseudonymise)


def canonical(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.astype(str)
    return frame.sort_values(list(frame.columns)).reset_index(drop=True)


def all_measures(read):
    groups = [ALL, Group("intervention", children=frozenset({pseudonymise("A001"), pseudonymise("G007")}))]
    return ssda903.measures(read, periods=[YEAR, *MONTHS], groups=groups, population={2024: 10_000})


def test_a_zip_reads_as_the_files_in_it(synthetic):
    from_files = read_csv(synthetic)
    from_zip = ssda903.read([("return.zip", io.BytesIO(synthetic.zip_bytes()))], pseudonymise=pseudonymise)
    assert from_zip.problems == [] and from_zip.children == from_files.children
    for name, table in from_files.tables.items():
        pd.testing.assert_frame_equal(canonical(from_zip.tables[name]), canonical(table), obj=name)
    pd.testing.assert_frame_equal(all_measures(from_zip), all_measures(from_files))


def test_the_xml_form_reads_as_the_csv_tables(synthetic):
    from_csv = read_csv(synthetic)
    from_xml = ssda903.read([("return.xml", io.BytesIO(synthetic.xml_bytes()))], pseudonymise=pseudonymise)
    assert from_xml.problems == [] and from_xml.children == from_csv.children
    for name, table in from_csv.tables.items():
        pd.testing.assert_frame_equal(canonical(from_xml.tables[name]), canonical(table), obj=name)
    pd.testing.assert_frame_equal(all_measures(from_xml), all_measures(from_csv))


def test_the_xml_form_keeps_nothing_identifying(synthetic):
    read = ssda903.read([("return.xml", io.BytesIO(synthetic.xml_bytes()))], pseudonymise=pseudonymise)
    text = every_text(read)
    for child in synthetic.children:
        assert child.child not in text and child.upn not in text
    assert "ZZ" not in text  # the made-up postcodes


def test_a_zip_holding_the_xml_form_is_read(synthetic):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("ssda903.xml", synthetic.xml_bytes())
    read = ssda903.read([("return.zip", buffer)], pseudonymise=pseudonymise)
    assert read.problems == [] and len(read.tables["episodes"]) == 18


def test_xml_problems_name_the_child_and_episode_elements(synthetic):
    xml = synthetic.xml_bytes().replace(b"<LS>V3</LS>", b"<LS>ZZ</LS>")  # F's only episode (the 6th child)
    read = ssda903.read([("return.xml", io.BytesIO(xml))], pseudonymise=pseudonymise)
    assert [(p.where, p.field) for p in read.problems] == [("return.xml, CHILD 6, EPISODE 1", "LS")]


def test_xml_that_is_not_well_formed_is_an_error_with_its_line(synthetic):
    xml = synthetic.xml_bytes()[:-40]
    read = ssda903.read([("return.xml", io.BytesIO(xml))], pseudonymise=pseudonymise)
    assert read.blocked and "not well-formed" in read.problems[0].message
    assert read.problems[0].where.startswith("return.xml, line")


def test_xml_entities_are_not_expanded():
    bomb = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
            b"<EXPSSDA903><CHILD><HEADER><CHILDID>&b;</CHILDID></HEADER></CHILD></EXPSSDA903>")  # fmt: skip
    read = ssda903.read([("x.xml", io.BytesIO(bomb))], pseudonymise=lambda s: f"p{len(s)}")
    assert "p80" not in set(read.tables["header"]["child"].dropna())


def test_a_zip_that_is_not_one_is_an_error():
    read = ssda903.read([("return.zip", io.BytesIO(b"PK\x03\x04 broken"))], pseudonymise=pseudonymise)
    assert read.blocked and read.problems[0].message == "The zip could not be opened."


def test_it_detects_each_form_from_the_first_bytes(synthetic):
    for name, data in synthetic.csv_files().items():
        assert ssda903.detect(name, data[:1024]), name
        assert ssda903.detect("upload.csv", data[:1024]), name  # by its columns, not its name
    assert ssda903.detect("return.zip", synthetic.zip_bytes()[:2048])
    assert ssda903.detect("return.xml", synthetic.xml_bytes()[:2048])


def test_it_refuses_other_files():
    cin = b'<?xml version="1.0"?><Message><Children><Child><ChildIdentifiers><LAchildID>1</LAchildID>'
    assert not ssda903.detect("cin.xml", cin)
    assert not ssda903.detect("notes.csv", b"NAME,POSTCODE\nJane,ZZ1\n")
    workbook = io.BytesIO()
    with zipfile.ZipFile(workbook, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
    assert not ssda903.detect("annex_a.xlsx", workbook.getvalue()[:2048])
    assert not ssda903.detect("empty.csv", b"")


def test_it_detects_a_zip_whose_first_entry_is_a_folder(synthetic):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("return/"), b"")
        for name, data in synthetic.csv_files().items():
            archive.writestr(f"return/{name}", data)
    assert ssda903.detect("upload.zip", buffer.getvalue()[:4096])
    read = ssda903.read([("upload.zip", buffer)], pseudonymise=pseudonymise)
    assert read.problems == [] and len(read.tables["episodes"]) == 18


def test_xml_in_a_namespace_reads_alike(synthetic):
    xml = synthetic.xml_bytes().replace(b"<EXPSSDA903>", b'<EXPSSDA903 xmlns="http://example.org/ssda903">')
    read = ssda903.read([("return.xml", io.BytesIO(xml))], pseudonymise=pseudonymise)
    assert read.problems == [] and len(read.tables["episodes"]) == 18 and len(read.tables["missing"]) == 5


def test_dates_with_a_midnight_time_are_read(synthetic):
    data = synthetic.csv_files()["episodes.csv"].decode().replace("/2023,", "/2023 00:00:00,")
    read = ssda903.read([("episodes.csv", io.BytesIO(data.encode()))], pseudonymise=pseudonymise)
    assert read.problems == [] and read.tables["episodes"]["decom"].notna().all()


def test_xml_fields_are_found_wherever_they_sit_in_the_child(synthetic):
    xml = synthetic.xml_bytes().replace(b"<IN_TOUCH>", b"<OC3><IN_TOUCH>").replace(b"</ACCOM>", b"</ACCOM></OC3>")
    xml = xml.replace(b"<ACCOM />", b"<ACCOM /></OC3>")
    read = ssda903.read([("return.xml", io.BytesIO(xml))], pseudonymise=pseudonymise)
    assert read.problems == [] and len(read.tables["oc3"]) == 5
    assert set(read.tables["oc3"]["in_touch"]) == {"YES", "DIED", "NO"}
