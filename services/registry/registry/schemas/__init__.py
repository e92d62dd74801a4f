"""API shapes of the registry: XCreate (also the document a PATCH must leave valid), XRead,
XFilters (list query parameters)."""
