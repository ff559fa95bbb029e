"""Model fields for secrets at rest."""

from __future__ import annotations

from django.core.exceptions import FieldError
from django.db import models

from core import crypto


class EncryptedTextField(models.TextField):
    """A text column stored as AES-256-GCM ciphertext (core.crypto), plaintext in Python.

    Ciphertext is randomised, so the column cannot be searched: only `isnull` works.
    Serialisation (dumpdata) writes the ciphertext, never the plaintext.
    """

    def contribute_to_class(self, cls, name, *args, **kwargs):
        super().contribute_to_class(cls, name, *args, **kwargs)
        self.crypto_context = f"{cls._meta.label_lower}.{name}"

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return crypto.decrypt(value, context=self.crypto_context)

    def to_python(self, value):
        if isinstance(value, str) and value.startswith(crypto.PREFIX):
            try:
                return crypto.decrypt(value, context=self.crypto_context)
            except crypto.DecryptionError:
                return value
        return value

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return crypto.encrypt(value, context=self.crypto_context)

    def get_lookup(self, lookup_name):
        if lookup_name != "isnull":
            raise FieldError(f"Encrypted fields cannot be filtered with '{lookup_name}'.")
        return super().get_lookup(lookup_name)

    def value_to_string(self, obj):
        return self.get_prep_value(self.value_from_object(obj))


def encrypted_fields() -> list[tuple[type[models.Model], EncryptedTextField]]:
    """Every (model, field) pair holding an encrypted secret, for key rotation."""
    from django.apps import apps

    return [
        (model, field)
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if isinstance(field, EncryptedTextField)
    ]
