"""Models of the billing app arrive with the issue that builds it (DESIGN §3)."""
