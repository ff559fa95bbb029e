"""Models of the privacy app arrive with the issue that builds it (DESIGN §3)."""
