"""Forms of the reports pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Agency
from config.errors import InvalidInput
from reports.selectors.statistics import Period, parse_period


class StatisticsFilterForm(forms.Form):
    """The statistics page's filters: the agency (when the reader has several)
    and the period. The fields are named as the query parameters (``from``,
    ``to``), so the page, its downloads and the API read the same query."""

    def __init__(self, data, *, agencies, agency: Agency):
        super().__init__(data)
        # The period is in the agency's days (its today, its time zone), whoever reads.
        self.agency = agency
        self.fields["agency"] = forms.ChoiceField(
            label=_("Agency"),
            choices=[(agency.slug, agency.name) for agency in agencies],
            required=False,
        )
        self.fields["from"] = forms.CharField(
            label=_("From"),
            required=False,
            help_text=_("A day (YYYY-MM-DD) or a month (YYYY-MM); by default twelve months ago."),
            widget=forms.DateInput(attrs={"type": "date"}),
        )
        self.fields["to"] = forms.CharField(
            label=_("To"),
            required=False,
            help_text=_("A day or a month; by default today."),
            widget=forms.DateInput(attrs={"type": "date"}),
        )

    def clean(self):
        data = super().clean()
        try:
            self.period: Period = parse_period(data.get("from"), data.get("to"), agency=self.agency)
        except InvalidInput as error:
            self.add_error(error.field or None, str(error.message))
        return data
