"""Models of the smtp_accounts app arrive with the issue that builds it (DESIGN §3)."""
