"""Scoped reads of the reports app."""
