"""Tracing pages with many contacts (issue 12, item 22): the report shows a page of each tier, the call list a page
read newest first; the Excel export stays complete; only the reader's jurisdiction."""

from io import BytesIO

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from lachan.accounts.models import AuditEvent
from lachan.core.text import fold
from lachan.people.models import Person
from lachan.tracing.models import Contact, Exposure

from .conftest import at, make_case

pytestmark = pytest.mark.django_db


def contacts_of(case, *, commune, tier: int, n: int, prefix: str, first_hour: int = 0) -> list[Contact]:
    people = Person.objects.bulk_create(
        [Person(full_name=f"{prefix} {k:03d}", search_name=fold(f"{prefix} {k:03d}"), commune=commune)
         for k in range(n)])
    contacts = Contact.objects.bulk_create([
        Contact(index_case=case, person=p, tier=tier, commune=commune, exposed_at=at(first_hour + k))
        for k, p in enumerate(people)])
    Exposure.objects.bulk_create([
        Exposure(contact=c, source="household", grade="close", start=c.exposed_at, minutes=30, text="cùng nhà")
        for c in contacts])
    return contacts


@pytest.fixture
def big_case(world, epi):
    """A case with 12 F1s and 120 F2s in its commune, and 30 F2s in the neighbouring commune."""
    case = make_case(world.an, epi)
    contacts_of(case, commune=world.units.commune, tier=1, n=12, prefix="Phạm Văn Một")
    contacts_of(case, commune=world.units.commune, tier=2, n=120, prefix="Trần Thị Hai", first_hour=20)
    contacts_of(case, commune=world.units.commune2, tier=2, n=30, prefix="Lê Văn Láng Giềng", first_hour=200)
    return case


def test_report_shows_one_page_of_each_tier(client, big_case, epi):
    client.force_login(epi)
    url = reverse("tracing:report", args=[big_case.pk])
    before = AuditEvent.objects.filter(action="contact.view").count()
    body = client.get(url).content.decode()
    assert body.count('data-testid="contact-row"') == 12 + 50
    assert 'data-testid="tier-2">F2 (150)' in body and "1–50 of 150" in body
    # F2s by name: the 30 Lê… then the first 20 Trần…
    assert "Phạm Văn Một 011" in body and "Lê Văn Láng Giềng 029" in body
    assert "Trần Thị Hai 019" in body and "Trần Thị Hai 020" not in body
    # Only the contacts shown are audited as viewed.
    assert AuditEvent.objects.filter(action="contact.view").count() - before == 62
    last = client.get(url, {"p2": "3"}).content.decode()
    assert last.count('data-testid="contact-row"') == 12 + 50 and "101–150 of 150" in last
    assert "Trần Thị Hai 070" in last and "Trần Thị Hai 069" not in last and "Láng Giềng" not in last
    assert 'p2=2#tier-2"' in last and "p2=4" not in last
    # A page beyond the last, or not a number, is an empty or first page, never an error.
    assert client.get(url, {"p2": "99"}).status_code == 200
    assert client.get(url, {"p2": "x'"}).content.decode().count('data-testid="contact-row"') == 62


def test_report_pages_count_only_the_readers_jurisdiction(client, big_case, world):
    client.force_login(world.staff.commune)
    body = client.get(reverse("tracing:report", args=[big_case.pk]), {"p2": "3"}).content.decode()
    assert 'data-testid="tier-2">F2 (120)' in body and "101–120 of 120" in body
    assert "Láng Giềng" not in body and "Trần Thị Hai 100" in body and "Trần Thị Hai 099" not in body


def test_report_export_has_every_contact(client, big_case, epi):
    client.force_login(epi)
    response = client.get(reverse("tracing:report_export", args=[big_case.pk]))
    sheet = load_workbook(BytesIO(b"".join(response.streaming_content))).active
    assert sheet.max_row - 1 == 12 + 150


def test_call_list_is_newest_exposure_first_a_page_at_a_time(client, big_case, world):
    client.force_login(world.staff.commune)
    url = reverse("tracing:calls")
    first = client.get(url).content.decode()
    assert first.count('<select name="status" aria-label') == 100
    # Newest exposure first: the last F2 of the commune (hour 139), then down to the oldest on page 2.
    assert first.index("Trần Thị Hai 119") < first.index("Trần Thị Hai 118")
    second = client.get(url, {"page": "2"}).content.decode()
    assert second.count('<select name="status" aria-label') == 32 and "Phạm Văn Một 000" in second
    assert "Láng Giềng" not in first + second
    api = client.get("/api/tracing/calls", {"page": 2}).json()
    assert len(api["items"]) == 32 and api["has_next"] is False
    assert [i["person_name"] for i in api["items"]][-1] == "Phạm Văn Một 000"


def test_call_list_reads_one_page_not_every_contact(client, big_case, world):
    """The page's query is bounded (LIMIT), whatever the number of contacts."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(world.staff.province)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse("tracing:calls"), {"status": "to_call"}).status_code == 200
    reads = [q["sql"] for q in captured.captured_queries if 'FROM "tracing_contact"' in q["sql"]]
    assert len(reads) == 1 and "LIMIT 101" in reads[0]
    assert 'ORDER BY "tracing_contact"."exposed_at" DESC' in reads[0]  # an index's order, not a sort by commune name


def chain_data(response) -> dict:
    import json
    import re

    body = response.content.decode()
    found = re.search(r'<script id="chain-data" type="application/json">(.*?)</script>', body, re.S)
    return json.loads(found.group(1)) if found else {}


def test_chain_is_bounded_and_says_so(client, big_case, epi, monkeypatch):
    from lachan.tracing import selectors

    monkeypatch.setitem(selectors.transmission_chain.__kwdefaults__, "max_nodes", 40)
    client.force_login(epi)
    response = client.get(reverse("tracing:chain"))
    graph = chain_data(response)
    assert len(graph["nodes"]) == 40 and graph["nodes"][0]["label"] == big_case.code
    assert {n["kind"] for n in graph["nodes"][1:]} == {"f1", "f2"}  # the F1s first, then F2s while room is left
    assert sum(n["kind"] == "f1" for n in graph["nodes"]) == 12
    body = response.content.decode()
    assert "123 F1/F2 contacts are not drawn" in body and 'data-testid="chain-row"' in body


def test_chain_shows_only_the_readers_jurisdiction(client, big_case, world):
    client.force_login(world.staff.commune)
    graph = chain_data(client.get(reverse("tracing:chain")))
    labels = {n["label"] for n in graph["nodes"]}
    assert big_case.code in labels and not any("Láng Giềng" in label for label in labels)
    client.force_login(world.staff.other_commune)
    assert chain_data(client.get(reverse("tracing:chain"))) == {}


def test_chain_filter_refuses_bad_input_without_an_error_page(client, big_case, epi, world):
    client.force_login(epi)
    url = reverse("tracing:chain")
    for bad in ({"date_from": "0001-01-01"}, {"date_to": "9999-12-31"}, {"date_from": "2021-08-20",
                "date_to": "2021-08-01"}, {"commune": "abc"}, {"commune": str(world.units.other_commune.pk + 10**6)},
                {"date_from": "x"}, {"page": "-3"}):
        response = client.get(url, bad)
        assert response.status_code == 200, bad
        if "page" not in bad:
            assert 'class="error"' in response.content.decode(), bad
    # A commune outside the reader's jurisdiction is not a choice.
    client.force_login(world.staff.commune)
    body = client.get(url, {"commune": str(world.units.commune2.pk)}).content.decode()
    assert 'class="error"' in body


@pytest.fixture
def four_cases(world, epi):
    people = [world.an, world.wife, world.cafe_friend, world.stranger]
    return [make_case(p, epi, confirmed=at(24 * 4 + k)) for k, p in enumerate(people)]


def test_chain_counts_cases_up_to_a_bound_and_says_more_than(client, four_cases, epi, monkeypatch):
    """A province's two weeks are ~13,000 cases: counted up to the bound, then "more than"."""
    from lachan.tracing import selectors

    monkeypatch.setattr(selectors, "CHAIN_COUNT_MAX", 2)
    monkeypatch.setitem(selectors.transmission_chain.__kwdefaults__, "max_cases", 1)
    client.force_login(epi)
    body = client.get(reverse("tracing:chain")).content.decode()
    assert "More than 2 cases confirmed from" in body
    assert "The graph shows the newest 1 of more than 2 cases." in body
    assert body.count('data-testid="chain-row"') == 4  # the list pages through them all
    monkeypatch.setattr(selectors, "CHAIN_COUNT_MAX", 4)
    body = client.get(reverse("tracing:chain")).content.decode()
    assert "4 cases confirmed from" in body and "More than" not in body


def test_chain_does_not_count_when_every_case_is_drawn(client, four_cases, epi):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(epi)
    with CaptureQueriesContext(connection) as captured:
        body = client.get(reverse("tracing:chain")).content.decode()
    assert "4 cases confirmed from" in body
    assert not [q["sql"] for q in captured.captured_queries if "COUNT(" in q["sql"] and '"cases_case"' in q["sql"]]


def test_call_list_rows_keep_their_call_result_selected(client, big_case, world):
    Contact.objects.filter(person__full_name="Trần Thị Hai 119").update(call_status="reached")
    client.force_login(world.staff.commune)
    body = client.get(reverse("tracing:calls")).content.decode()
    row = body[body.index("Trần Thị Hai 119"):]
    row = row[:row.index("</tr>")]
    assert '<option value="reached" selected>' in row and row.count(" selected") == 1
    assert body.count('<option value="to_call" selected>') == 99


def test_chain_reads_the_window_of_cases_once(client, four_cases, epi, monkeypatch):
    """A commune's cases are found among the window's by their people: the count, the cases drawn, the list page and
    the clusters offered come from one read of the window's ids (then the cases by primary key)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from lachan.tracing import selectors

    monkeypatch.setitem(selectors.transmission_chain.__kwdefaults__, "max_cases", 2)
    client.force_login(epi)
    with CaptureQueriesContext(connection) as captured:
        body = client.get(reverse("tracing:chain"), {"page": "1"}).content.decode()
    assert "4 cases confirmed from" in body and body.count('data-testid="chain-row"') == 4
    window = [q["sql"] for q in captured.captured_queries if 'FROM "cases_case"' in q["sql"]
              and not q["sql"].endswith("LIMIT 1") and '"cases_case"."id" IN' not in q["sql"]]
    assert len(window) == 1, window


def test_chain_shows_its_default_days_day_first(client, four_cases, epi):
    """The default window is filled into the filter as the reader types a day (dd/mm/yyyy), not ISO."""
    client.force_login(epi)
    body = client.get(reverse("tracing:chain")).content.decode()
    assert 'name="date_from" value="01/08/2021"' in body and 'name="date_to" value="14/08/2021"' in body
    assert "2021-08-01" not in body
