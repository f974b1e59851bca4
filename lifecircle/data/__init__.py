"""Embedded synthetic demo district (see ``make_demo.py`` for how it is generated)."""
