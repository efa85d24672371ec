"""The transmission chain (issue 12, item 22): filtered by cluster, commune and dates, drawn by vis-network (a static
file of the platform) with the nodes the filter gives, and the same cases in a text list; on a desk and a phone."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from tests.browser.conftest import login, screenshot

pytestmark = pytest.mark.django_db(transaction=True)
T0 = timezone.make_aware(datetime(2021, 8, 14, 10, 0))


@pytest.fixture
def chain(units, staff):
    """An (market cluster) infected Bình, who became a case; An has two more F1s and an F2; Bình an F1; Cường, in
    the other commune three days later, two F1s."""
    from types import SimpleNamespace

    from lachan.cases import services
    from lachan.people.models import Person
    from lachan.tracing.models import Contact

    epi = staff.epidemiologist

    def person(name, commune=units.commune):
        return Person.objects.create(full_name=name, commune=commune)

    def case(who, days):
        at = T0 + timedelta(days=days)
        return services.case_confirm(person=who, onset_date=None, sample_date=at.date(), origin="community",
                                     confirmed_at=at, by=epi)

    an, binh, cuong = person("Nguyễn Văn An"), person("Trần Thị Bình"), person("Lê Văn Cường", units.commune2)
    a, b, c = case(an, 0), case(binh, 2), case(cuong, 5)
    mot, hai, ba, bon = person("Phạm Văn Một"), person("Võ Thị Hai"), person("Đỗ Văn Ba"), person("Hồ Thị Bốn")
    nam, sau = person("Bùi Văn Năm", units.commune2), person("Ngô Thị Sáu", units.commune2)
    for index, who, tier, via in [(a, binh, 1, None), (a, mot, 1, None), (a, hai, 1, None), (a, ba, 2, mot),
                                  (b, bon, 1, None), (c, nam, 1, None), (c, sau, 1, None)]:
        Contact.objects.create(index_case=index, person=who, tier=tier, via=via, commune=who.commune,
                               exposed_at=index.confirmed_at - timedelta(days=1))
    market = services.cluster_create(name="Chợ Mỹ Tho — quầy rau", kind="supermarket", commune=units.commune,
                                     opened_on=T0.date(), by=epi)
    services.cluster_add_cases(cluster=market, codes=[a.code], by=epi)
    return SimpleNamespace(a=a, b=b, c=c, market=market)


def drawn(page) -> tuple[int, int]:
    graph = page.locator("[data-testid=chain-graph][data-drawn='1']")
    graph.wait_for()
    assert graph.locator("canvas").count() == 1
    return int(graph.get_attribute("data-nodes")), int(graph.get_attribute("data-edges"))


def test_chain_filtered_and_drawn(page, phone_page, chain, units):
    for each in (page, phone_page):
        each.set_default_timeout(60_000)  # the graph's layout takes its time on a busy machine
    login(page, "cdc")
    page.goto("/tracing/chain/")
    # By default the two weeks up to the last case: the three cases, six contacts; An → Bình drawn as a case link.
    assert page.input_value("input[name=date_from]") == "06/08/2021"  # day first, as the reader types a day
    assert page.input_value("input[name=date_to]") == "19/08/2021"
    assert drawn(page) == (9, 7)
    rows = page.locator("[data-testid=chain-row]")
    assert rows.count() == 3
    binh = rows.filter(has_text="Trần Thị Bình")
    assert chain.a.code in binh.inner_text() and "1 / 0" in binh.inner_text()
    assert chain.b.code in rows.filter(has_text="Nguyễn Văn An").inner_text()  # whom An infected
    screenshot(page, "chain-desktop")

    # A commune: An and Bình with their contacts.
    page.select_option("select[name=commune]", str(units.commune.pk))
    page.click("[data-testid=chain-filter] button[type=submit]")
    assert drawn(page) == (6, 5)
    assert page.locator("[data-testid=chain-row]").count() == 2

    # A cluster: An alone; Bình is one of An's F1s again.
    page.goto("/tracing/chain/")
    page.select_option("select[name=cluster]", str(chain.market.pk))
    page.click("[data-testid=chain-filter] button[type=submit]")
    assert drawn(page) == (5, 4)
    assert page.locator("[data-testid=chain-row]").count() == 1

    # A day: Cường and his two F1s.
    page.goto("/tracing/chain/?date_from=2021-08-19&date_to=2021-08-19")
    assert drawn(page) == (3, 2)
    assert chain.c.code in page.locator("[data-testid=chain-list]").inner_text()
    # The first day: An (in the cluster) with his contacts, Bình among them.
    page.goto("/tracing/chain/?date_from=2021-08-14&date_to=2021-08-14")
    assert drawn(page) == (5, 4)

    # An end before the start is refused, with the message beside the field.
    page.goto("/tracing/chain/?date_from=2021-08-19&date_to=2021-08-01")
    assert page.locator("[data-testid=chain-filter] .error").count() == 1

    login(phone_page, "cdc")
    phone_page.goto("/tracing/chain/")
    assert drawn(phone_page) == (9, 7)
    screenshot(phone_page, "chain-phone")
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390


def test_chain_limit_is_said(page, chain, settings, monkeypatch):
    from lachan.tracing import selectors

    monkeypatch.setattr(selectors, "CHAIN_MAX_CASES", 2)
    monkeypatch.setattr(selectors.transmission_chain, "__kwdefaults__",
                        {**selectors.transmission_chain.__kwdefaults__, "max_cases": 2})
    page.set_default_timeout(60_000)
    login(page, "cdc")
    page.goto("/tracing/chain/")
    assert "2" in page.locator("[data-testid=chain-limit]").inner_text()
    assert page.locator("[data-testid=chain-row]").count() == 3  # the list has them all
    nodes, _edges = drawn(page)
    assert nodes == 3 + 1 + 2  # Cường and Bình with their F1s, and An, who infected Bình, outside the two drawn
