"""Solar Hijri dates and Persian digits as a user's choice (issue 15): the
pages write dates in the reader's calendar and digits; what is stored, the
API, machine-readable attributes and form values stay Gregorian."""

import re
from datetime import UTC, date, datetime

import pytest
from django.template import engines
from django.urls import reverse
from django.utils import translation

from accounts import services
from config.errors import InvalidInput
from config.http.calendars import display, format_date
from tests.factories import make_case, make_client
from tests.helpers import page

pytestmark = pytest.mark.django_db

ACCOUNT = reverse("accounts:account")
DATES = reverse("accounts:own_date_display")


def render(source: str, **context) -> str:
    return engines["django"].from_string(source).render(context)


# --- The formatting -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "solar"),
    [
        (date(2026, 3, 21), "1405-01-01"),  # Nowruz
        (date(2026, 3, 20), "1404-12-29"),
        (date(2026, 12, 4), "1405-09-13"),
        (date(2025, 3, 20), "1403-12-30"),  # 1403 is a leap year
    ],
)
def test_gregorian_days_become_solar_hijri_days(day, solar):
    with display("solar_hijri", "latin"):
        assert format_date(day, "Y-m-d") == solar
    assert format_date(day, "Y-m-d") == day.isoformat()


def test_persian_digits_and_month_names_follow_the_language():
    with display("solar_hijri", "persian"):
        with translation.override("fa"):
            assert format_date(date(2026, 12, 4), "j F Y") == "۱۳ آذر ۱۴۰۵"
        with translation.override("en"):
            assert format_date(date(2026, 12, 4), "j F Y") == "۱۳ Azar ۱۴۰۵"
    with display("gregorian", "persian"):
        assert format_date(date(2026, 12, 4), "Y-m-d") == "۲۰۲۶-۱۲-۰۴"


def test_machine_formats_and_times_keep_their_meaning():
    moment = datetime(2026, 12, 4, 13, 5, tzinfo=UTC)
    with display("solar_hijri", "persian"):
        shown = render(
            '{{ m|date:"c" }}|{{ m|date:"Y-m-d H:i" }}|{{ m|local_time }}|{{ d|date:"D j M" }}',
            m=moment,
            d=date(2026, 12, 4),
        )
    iso, local, element, short = shown.split("|")
    assert iso == "2026-12-04T13:05:00+00:00"
    assert local == "۱۴۰۵-۰۹-۱۳ ۱۳:۰۵"
    assert 'datetime="2026-12-04T13:05:00Z"' in element
    assert "۱۴۰۵-۰۹-۱۳ ۱۳:۰۵" in element
    assert short == "Fri ۱۳ Azar"


def test_gregorian_and_latin_is_djangos_own_date_filter():
    assert render('{{ d|date:"Y-m-d" }} {{ d|date }}', d=date(2026, 12, 4)) == (
        "2026-12-04 Dec. 4, 2026"
    )


# --- The choice ---------------------------------------------------------------------


def test_the_choice_is_saved_with_history_and_checked(caseworker):
    services.set_date_display(actor=caseworker, calendar="solar_hijri", digits="persian")
    caseworker.refresh_from_db()
    assert (caseworker.calendar, caseworker.digits) == ("solar_hijri", "persian")
    assert caseworker.history.first().history_change_reason == "date display changed"
    rows = caseworker.history.count()
    services.set_date_display(actor=caseworker, calendar="solar_hijri", digits="persian")
    assert caseworker.history.count() == rows  # no change, no history row
    with pytest.raises(InvalidInput) as error:
        services.set_date_display(actor=caseworker, calendar="lunar", digits="latin")
    assert error.value.field == "calendar"
    with pytest.raises(InvalidInput) as error:
        services.set_date_display(actor=caseworker, calendar="gregorian", digits="roman")
    assert error.value.field == "digits"


def test_a_caseworker_chooses_solar_hijri_on_the_account_page(client_as, caseworker):
    client = make_client(caseworker, name="فرید", name_latin="Farid")
    case = make_case(caseworker, client)
    services.set_preferred_language(actor=caseworker, language="fa")
    browser = client_as(caseworker)
    opened = case.opened_at.date()
    before = page(browser.get(reverse("casework:case_detail", args=[case.pk])))
    assert opened.isoformat() in before

    assert browser.post(DATES, {"calendar": "solar_hijri", "digits": "persian"}).status_code == 302
    after = page(browser.get(reverse("casework:case_detail", args=[case.pk])))
    with display("solar_hijri", "persian"):
        solar = format_date(case.opened_at, "Y-m-d")
    assert re.match(r"^[۰-۹]{4}-[۰-۹]{2}-[۰-۹]{2}$", solar)
    assert solar in after
    assert opened.isoformat() not in re.sub(r'(datetime|value|href)="[^"]*"', "", after)
    # The account page says what was chosen, and checks its two fields.
    account = page(browser.get(ACCOUNT))
    assert re.search(r'<input[^>]*value="solar_hijri"[^>]*checked', account)
    assert re.search(r'<input[^>]*value="persian"[^>]*checked', account)


def test_a_wrong_value_is_a_400_naming_the_field(client_as, caseworker):
    browser = client_as(caseworker)
    response = browser.post(DATES, {"calendar": "lunar", "digits": "latin"})
    assert response.status_code == 400
    assert 'id="id_calendar_error"' in page(response)
    caseworker.refresh_from_db()
    assert caseworker.calendar == "gregorian"


def test_the_api_sets_the_choice_and_keeps_its_dates_gregorian(as_user, caseworker):
    client = make_client(caseworker, name="Farid")
    case = make_case(caseworker, client)
    api = as_user(caseworker)
    response = api.patch(
        "/api/v1/me/", {"calendar": "solar_hijri", "digits": "persian"}, format="json"
    )
    assert response.status_code == 200
    assert (response.json()["calendar"], response.json()["digits"]) == ("solar_hijri", "persian")
    body = api.get(f"/api/v1/cases/{case.pk}/").json()
    assert body["opened_at"].startswith(case.opened_at.astimezone(UTC).date().isoformat())
    wrong = api.patch("/api/v1/me/", {"digits": "roman"}, format="json")
    assert wrong.status_code == 400
    assert "digits" in str(wrong.json())
