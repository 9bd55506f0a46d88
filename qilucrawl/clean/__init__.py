"""Cleaning rules, as pure functions: the only place they live."""
