"""The disclosure register: what it counts, that every output shows the same
suppressed figures, who may read it.

One PDF is rendered in the whole module."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from accounts.models import AccessLog
from accounts.permissions import Role
from reports.selectors.disclosure import Period, disclosure_register
from reports.suppression import Cell, Table
from tests.factories import make_case, make_client, make_consent, make_member, make_referral

pytestmark = pytest.mark.django_db

API = "/api/v1/reports/disclosure-register/"
# What the register must count (this month, to the partner agency).
EXPECTED_BASIS = {"consent": 3, "legal_obligation": 2, "override": 2}
EXPECTED_CATEGORIES = {"identity": 7, "contact": 3, "legal_status": 2, "case_notes": 2}


@pytest.fixture
def disclosures(caseworker, supervisor, case, client_record, consent, partner_agency):
    """7 packets to the partner this month: 3 on consent, 2 on a legal obligation,
    2 on a supervisor's override; and a draft, which is no disclosure."""
    for _ in range(3):
        make_referral(caseworker, case, partner_agency, data_categories=["identity", "contact"])
    other = make_client(caseworker, name="Amina Yusuf", name_latin="Amina Yusuf")
    make_consent(
        caseworker,
        other,
        lawful_basis="legal_obligation",
        recipient_agencies=[partner_agency],
        data_categories=["identity", "legal_status"],
    )
    other_case = make_case(caseworker, other)
    for _ in range(2):
        make_referral(
            caseworker, other_case, partner_agency, data_categories=["identity", "legal_status"]
        )
    for _ in range(2):
        make_referral(
            supervisor,
            case,
            partner_agency,
            data_categories=["identity", "case_notes"],
            override_reason="Imminent eviction, client unreachable",
        )
    make_referral(caseworker, case, partner_agency, send=False)
    return partner_agency


def _set_k(agency, k):
    agency.small_cell_threshold = k
    agency.save(update_fields=["small_cell_threshold"])


def _this_month() -> Period:
    today = timezone.localdate()
    return Period(start=today.replace(day=1), end=today)


def _column(table, keys, key):
    return table.column_totals[keys.index(key)]


def test_counts_with_k_2(agency, disclosures):
    _set_k(agency, 2)
    register = disclosure_register(agency, _this_month())

    [partner] = register.partners
    assert partner.name == disclosures.name
    basis, categories = partner.by_basis, partner.by_category
    assert basis.total.count == 7  # packets sent; the draft is not one
    for key, expected in EXPECTED_BASIS.items():
        cell = _column(basis, register.basis_keys, key)
        assert cell.hidden or cell.count == expected, key
    # A packet carries several categories: their sums mean nothing, none is published.
    assert not categories.totals
    assert categories.total is None and categories.row_totals == categories.column_totals == []
    assert [total for _label, _cells, total in categories.rows] == [None]
    shown = dict(zip(register.category_keys, categories.cells[0], strict=True))
    assert shown["identity"].count == 7
    assert {key: cell.count for key, cell in shown.items() if not cell.hidden} == (
        EXPECTED_CATEGORIES  # every one is at least k = 2; only the zeros are hidden
    )
    # Every shown cell is right, every zero is hidden.
    for table, keys, expected in (
        (basis, register.basis_keys, EXPECTED_BASIS),
        (categories, register.category_keys, EXPECTED_CATEGORIES),
    ):
        for key, cell in zip(keys, table.cells[0], strict=True):
            assert cell.hidden or cell.count == expected.get(key, 0), key
            if expected.get(key, 0) == 0:
                assert cell.hidden and cell.count is None


def _shown_as_is(row_labels, column_labels, counts, *, k):
    """Suppression switched off: the exact figures, to check the counting."""
    cell = lambda count: Cell(count=count, shown=str(count), hidden=False, reason="")  # noqa: E731
    return Table(
        row_labels=list(row_labels),
        column_labels=list(column_labels),
        cells=[[cell(value) for value in row] for row in counts],
        row_totals=[cell(sum(row)) for row in counts],
        column_totals=[cell(sum(column)) for column in zip(*counts, strict=True)],
        total=cell(sum(map(sum, counts))),
        k=k,
    )


def test_an_override_is_counted_as_override_not_as_a_basis(agency, disclosures, monkeypatch):
    monkeypatch.setattr("reports.selectors.disclosure.suppress_table", _shown_as_is)
    monkeypatch.setattr("reports.selectors.disclosure.suppress_without_totals", _shown_as_is)
    register = disclosure_register(agency, _this_month())

    [partner] = register.partners
    row = dict(zip(register.basis_keys, (c.count for c in partner.by_basis.cells[0]), strict=True))
    assert row == {
        "consent": 3,
        "contract": 0,
        "legal_obligation": 2,
        "vital_interests": 0,
        "public_task": 0,
        "legitimate_interests": 0,
        "override": 2,
    }
    assert partner.by_basis.row_totals[0].count == 7
    categories = dict(
        zip(register.category_keys, (c.count for c in partner.by_category.cells[0]), strict=True)
    )
    assert {key: count for key, count in categories.items() if count} == EXPECTED_CATEGORIES


def test_the_register_reads_a_fixed_number_of_queries(agency, disclosures, partner_agency):
    period = Period(start=timezone.localdate().replace(month=1, day=1), end=timezone.localdate())
    with CaptureQueriesContext(connection) as few:
        disclosure_register(agency, period)
    third = make_member(agency, Role.CASEWORKER)
    for name in ("Partner B", "Partner C"):
        from tests.factories import AgencyFactory

        partner = AgencyFactory(name=name)
        client = make_client(third)
        make_consent(third, client, recipient_agencies=[partner])
        make_referral(third, make_case(third, client), partner)
    with CaptureQueriesContext(connection) as more:
        register = disclosure_register(agency, period)
    assert len(register.partners) == 3
    assert len(more) == len(few) <= 2


@pytest.fixture
def k5(agency, disclosures):
    _set_k(agency, 5)
    return agency


def test_small_cells_are_hidden_in_every_output(client_as, as_user, dpo, k5):
    http = client_as(dpo)
    page = http.get(reverse("reports:disclosure_register"))
    assert page.status_code == 200
    assert "&lt;5" in page.text and "Casa Comune" in page.text
    assert "×" in page.text  # the legend explains the secondary symbol

    data = as_user(dpo).get(API).json()
    [partner] = data["partners"]
    basis = partner["by_lawful_basis"]
    cells = [cell for row in basis["rows"] for cell in row["cells"]] + basis["column_totals"]
    categories = partner["by_data_category"]
    assert set(categories) == {"columns", "rows"}  # no totals: the categories overlap
    assert set(categories["rows"][0]) == {"month", "cells"}
    hidden = [cell for cell in cells if cell["hidden"]]
    assert hidden and all(cell["count"] is None for cell in hidden)
    assert {cell["shown"] for cell in hidden} <= {"<5", "×"}
    override = basis["column_totals"][[c["key"] for c in basis["columns"]].index("override")]
    assert override == {"shown": "<5", "count": None, "hidden": True, "reason": "small"}
    assert basis["total"]["count"] == 7

    before = AccessLog.objects.filter(action="export").count()
    csv_response = http.get(reverse("reports:disclosure_register_download", args=["csv"]))
    assert csv_response.status_code == 200
    rows = list(csv.reader(io.StringIO(csv_response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Partner agency", "Month", "Packets sent"]
    assert any("<5" in row for row in rows[1:])
    total = next(row for row in rows if row[1] == "Total")
    assert total[2] == "7"
    override_column = rows[0].index("Supervisor's override (no consent)")
    assert total[override_column] == "<5"

    xlsx = http.get(reverse("reports:disclosure_register_download", args=["xlsx"]))
    sheet = load_workbook(io.BytesIO(xlsx.content)).worksheets[0]
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert any("<5" in row for row in values[1:])
    assert next(row for row in values if row[1] == "Total")[2] == 7
    # The data categories have no totals: no sum column, blanks in the total row.
    assert "Data categories (sum)" not in rows[0]
    identity_column = rows[0].index("Identity")
    assert total[identity_column:] == [""] * (len(rows[0]) - identity_column)
    [this_month] = [row for row in rows if row[1] == f"{timezone.localdate():%Y-%m}"]
    assert this_month[identity_column] == "7"

    pdf = http.get(reverse("reports:disclosure_register_download", args=["pdf"]))
    assert pdf["Content-Type"] == "application/pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Disclosure register" in text and "Casa Comune" in text
    assert "<5" in text and "×" in text

    exports = AccessLog.objects.filter(action="export").order_by("id")[before:]
    assert [(row.actor_id, row.object_type) for row in exports] == [
        (dpo.pk, "reports.disclosure_register")
    ] * 3


def test_persona_matrix(client_as, as_user, dpo, supervisor, caseworker, outsider, agency):
    page = reverse("reports:disclosure_register")
    csv_url = reverse("reports:disclosure_register_download", args=["csv"])
    query = {"agency": agency.slug}
    for user, status in ((dpo, 200), (supervisor, 200), (caseworker, 403), (outsider, 404)):
        assert client_as(user).get(page, query).status_code == status, user
        assert client_as(user).get(csv_url, query).status_code == status, user
        assert as_user(user).get(API, query).status_code == status, user
    # Without naming an agency: the reader's own (the first they may read).
    assert as_user(dpo).get(API).json()["agency"]["slug"] == agency.slug
    # A member holding the permission nowhere: 403.
    assert as_user(caseworker).get(API).status_code == 403


def test_a_draft_is_not_a_disclosure(agency, caseworker, case, consent, partner_agency):
    make_referral(caseworker, case, partner_agency, send=False)
    assert disclosure_register(agency, _this_month()).partners == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"from": "2026-13"}, "from"),
        ({"to": "soon"}, "to"),
        ({"from": "2026-05", "to": "2026-04"}, "to"),
        ({"from": "2001-01", "to": "2026-01"}, "from"),
    ],
)
def test_a_bad_period_is_a_400_naming_the_field(client_as, as_user, dpo, query, field):
    response = as_user(dpo).get(API, query)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == field
    page = client_as(dpo).get(reverse("reports:disclosure_register"), query)
    assert page.status_code == 400
    assert f'data-field="{field}"' in page.text
    csv_url = reverse("reports:disclosure_register_download", args=["csv"])
    assert client_as(dpo).get(csv_url, query).status_code == 400


def test_an_unknown_format_is_a_400(client_as, dpo):
    url = reverse("reports:disclosure_register_download", args=["docx"])
    assert client_as(dpo).get(url).status_code == 400


def test_months_and_dates_choose_the_period(as_user, dpo):
    data = as_user(dpo).get(API, {"from": "2026-02", "to": "2026-03"}).json()
    assert (data["start"], data["end"]) == ("2026-02-01", "2026-03-31")
    data = as_user(dpo).get(API, {"from": "2026-02-10", "to": "2026-02-20"}).json()
    assert (data["start"], data["end"]) == ("2026-02-10", "2026-02-20")


def test_the_dpo_home_links_to_the_register(client_as, dpo):
    response = client_as(dpo).get(reverse("accounts:home"))
    assert reverse("reports:disclosure_register") in response.text
