"""The version of qilucrawl, in one place (the package and the User-Agent read it)."""

__version__ = "0.1.0"
