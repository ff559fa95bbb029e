import datetime

import pytest
from django.db import IntegrityError, connection

from accounts.models import User, Workspace
from core.db import create_each, update_each

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


def test_create_each_sets_the_pk_of_each_object_to_its_own_row():
    # More rows than one statement takes on SQLite (999 parameters / 4 columns): three batches.
    workspaces = [Workspace(name=f"w{i}") for i in range(600)]
    create_each(workspaces)
    stored = dict(Workspace.objects.values_list("pk", "name"))
    assert len(stored) == 600
    assert all(stored[w.pk] == w.name for w in workspaces)
    assert not workspaces[0]._state.adding  # saved: a later save() updates
    # Field conversions and defaults as save() applies them: auto_now_add, the UUID default.
    first = Workspace.objects.get(pk=workspaces[0].pk)
    assert first.public_id == workspaces[0].public_id
    assert first.created_at == workspaces[0].created_at
    assert first.created_at > datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=1)


def test_create_each_is_all_or_nothing():
    taken = Workspace.objects.create(name="taken")
    clash = Workspace(name="clash", public_id=taken.public_id)  # unique
    with pytest.raises(IntegrityError):
        create_each([Workspace(name="fine"), clash])
    assert list(Workspace.objects.values_list("name", flat=True)) == ["taken"]
