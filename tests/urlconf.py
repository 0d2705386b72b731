"""Walking the URL conf, for the tests that must cover every route."""

from collections.abc import Iterator

from django.urls import URLPattern, URLResolver, get_resolver


def walk_routes(
    resolver: URLResolver | None = None, prefix: str = "", namespace: str = ""
) -> Iterator[tuple[str | None, str, str]]:
    """(name with its namespaces or None, full pattern, namespace) for every
    URL pattern of the URL conf."""
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from walk_routes(pattern, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            name = pattern.name
            full_name = f"{namespace}:{name}" if namespace and name else name
            yield full_name, prefix + str(pattern.pattern), namespace
