"""The catalog's error, in a module of its own so that every introspector can raise it."""


class CatalogError(RuntimeError):
    """The schema of a connection could not be read; the message names the connection id."""
