"""The browsable API (with ``DEBUG`` on only).

DRF's browsable renderer builds its forms from a view's ``serializer_class``;
Sanad's views declare an input serializer per operation and have none, so every
list answered 500 to a browser (``GET`` or ``OPTIONS`` with ``Accept:
text/html``). Here such a view gets the raw content box without a prefilled
body; ``/api/docs/`` shows each operation's body.
"""

from rest_framework import renderers


class _WithoutSerializer:
    """The view, as a view that has no serializer to build forms from."""

    def __init__(self, view):
        object.__setattr__(self, "_view", view)

    def __getattr__(self, name):
        if name == "get_serializer":
            raise AttributeError(name)
        return getattr(self._view, name)

    def __setattr__(self, name, value):
        setattr(self._view, name, value)


def _form_view(view):
    return view if getattr(view, "serializer_class", None) is not None else _WithoutSerializer(view)


class BrowsableAPIRenderer(renderers.BrowsableAPIRenderer):
    def get_rendered_html_form(self, data, view, method, request):
        return super().get_rendered_html_form(data, _form_view(view), method, request)

    def get_raw_data_form(self, data, view, method, request):
        return super().get_raw_data_form(data, _form_view(view), method, request)

    def get_filter_form(self, data, view, request):
        # The lists filter in their selectors, not with DRF filter backends.
        if not getattr(view, "filter_backends", None):
            return None
        return super().get_filter_form(data, view, request)
