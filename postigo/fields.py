"""Kept for migrations written before the kernel moved to core/ (they import `postigo.fields`);
new code and new migrations import core.fields."""

from core.fields import EncryptedTextField  # noqa: F401
