import pytest
from django.db import IntegrityError, connection

from accounts.models import User
from postigo.db import update_each

pytestmark = pytest.mark.django_db(transaction=True)  # autocommit, as a worker runs


def _users(*emails):
    return [User.objects.create_user(email=email, password="x" * 12) for email in emails]


def test_each_object_gets_its_own_values():
    ann, bob = _users("ann@example.com", "bob@example.com")
    ann.name, bob.name = "Ann", "Bob"
    update_each([ann, bob], ["name"])
    assert dict(User.objects.values_list("email", "name")) == {
        "ann@example.com": "Ann",
        "bob@example.com": "Bob",
    }


def test_all_or_nothing_outside_a_transaction():
    """In autocommit each row would commit on its own: the first applied, the second failing."""
    assert connection.get_autocommit()
    ann, bob, _carl = _users("ann@example.com", "bob@example.com", "carl@example.com")
    ann.email, bob.email = "ann2@example.com", "carl@example.com"  # bob's clashes
    with pytest.raises(IntegrityError):
        update_each([ann, bob], ["email"])
    assert sorted(User.objects.values_list("email", flat=True)) == [
        "ann@example.com",
        "bob@example.com",
        "carl@example.com",
    ]
