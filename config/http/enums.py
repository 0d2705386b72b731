"""One component per choice set, in query strings too.

drf-spectacular's ``postprocess_schema_enums`` gives every choice set of a
request or response body one component, named in
``SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]``, but leaves the enums of query
parameters inline: a generated client then has a ``CasesListStatus`` beside the
``CaseStatus`` of the answers. Here a query parameter whose choices are a set
named in the overrides refers to that set's component as well. A parameter
is matched by its choices' values *and* labels (drf-spectacular's own hash of
them), never by its values alone, and one that does not come from a choice
field (an ``OpenApiParameter`` with an enum, such as ``format``) is left as it is.
"""

from drf_spectacular import hooks
from drf_spectacular.plumbing import ResolvedComponent, load_enum_name_overrides
from drf_spectacular.settings import spectacular_settings

_ENUM_ID = "x-spec-enum-id"


def postprocess_schema_enums(result, generator, **kwargs):
    """drf-spectacular's hook, then the query parameters' enums as references."""
    names = load_enum_name_overrides()
    marked = []
    for parameter in _parameters(result):
        schema = parameter.get("schema", {})
        target = schema.get("items", {}) if schema.get("type") == "array" else schema
        name = names.get(target.get(_ENUM_ID)) if isinstance(target, dict) else None
        if name is not None and None not in target.get("enum", ()):
            marked.append((parameter, name))
    result = hooks.postprocess_schema_enums(result, generator, **kwargs)
    if not marked:
        return result
    for parameter, name in marked:
        schema = parameter["schema"]
        is_array = schema.get("type") == "array"
        target = schema["items"] if is_array else schema
        if "enum" not in target:
            continue  # one parameter object shared by two operations, done already
        values = [value for value in target["enum"] if value != ""]
        described = target.get("description") or parameter.get("description", "")
        refs = [_component(generator, name, values, described).ref]
        if "" in target["enum"]:
            refs.append(_component(generator, "BlankEnum", [""]).ref)
        reference = refs[0] if len(refs) == 1 else {"oneOf": refs}
        if is_array:
            schema["items"] = reference
        else:
            parameter["schema"] = reference
    result["components"] = generator.registry.build(spectacular_settings.APPEND_COMPONENTS)
    return result


def _parameters(result):
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            if isinstance(operation, dict):
                yield from operation.get("parameters", [])


def _component(generator, name: str, values: list, described: str = "") -> ResolvedComponent:
    """The enum's component: the one a body made already, else one made here
    as drf-spectacular would (values, type, the list of values and labels)."""
    schema = {"enum": values} if name == "BlankEnum" else {"enum": values, "type": "string"}
    start = described.find("* `")  # after the help text, if any
    if name != "BlankEnum" and spectacular_settings.ENUM_GENERATE_CHOICE_DESCRIPTION and start >= 0:
        schema["description"] = described[start:]
    component = ResolvedComponent(
        name=name, type=ResolvedComponent.SCHEMA, schema=schema, object=name
    )
    generator.registry.register_on_missing(component)
    return component
