"""Versions of the legal texts users accept at signup.

Changing a policy page means bumping its version here, so every acceptance on
record says which text the person agreed to.
"""

TERMS_VERSION = "2026-11-23"
PRIVACY_VERSION = "2026-11-23"
