"""Models of the ai app arrive with the issue that builds it (DESIGN §3)."""
