"""The casework pages: thin views over ``casework.selectors`` (reads) and
``casework.services`` (writes).

Every read goes through a scoped selector, so what a page shows is what the
user may see; every write is one service call. NotFound and Forbidden pass
through to the 404 and 403 pages; any other domain or validation error is
shown on the form, next to the field it names.
"""
