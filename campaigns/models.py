"""Models of the campaigns app arrive with the issue that builds it (DESIGN §3)."""
