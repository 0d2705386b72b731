"""The header's search box: one ranked page of the clients and cases a user may see."""

from urllib.parse import urlencode

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from casework import selectors
from config.http.forms import AUTO_DIR


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search clients and cases"),
        max_length=200,
        required=False,
        help_text=_(
            "A name in any script or spelling, a case number or an identity-document number."
        ),
        widget=forms.TextInput(attrs={"type": "search", **AUTO_DIR}),
    )


@never_cache
@login_required
def search(request: HttpRequest) -> HttpResponse:
    """Clients and cases matching ``q``, best match first, at most
    ``SEARCH_RESULTS_LIMIT`` of each with links to the full lists. The query
    stays in this page's own address (never logged: the access log keeps the
    route only) and the response is not cached."""
    form = SearchForm(request.GET)
    query = form.cleaned_data["q"].strip() if form.is_valid() else ""
    results = selectors.search_everything(request.user, query) if query else None
    more = urlencode({"q": query})
    return render(
        request,
        "casework/search.html",
        {
            "form": form,
            "query": query,
            "results": results,
            "more_clients_url": f"{reverse('casework:client_list')}?{more}",
            "more_cases_url": f"{reverse('casework:case_list')}?{more}",
        },
    )
