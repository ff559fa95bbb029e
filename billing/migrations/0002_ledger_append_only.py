"""The database itself refuses to change a ledger entry (PostgreSQL and SQLite triggers) or to
delete one younger than its 7-year retention (PostgreSQL: a row-level trigger, which TRUNCATE —
a test database's flush — does not fire; SQLite empties tables with DELETE, so there the
model's guards refuse deletion). The retention purge deletes what is older.
Only `created_by` may change: it is set to NULL when the person who made an entry is deleted
(the entry stays, pseudonymised)."""

from django.db import migrations

KEPT = (
    "workspace_id, kind, amount, balance_after, currency, purpose, quantity, unit_price, "
    "reason, reference, payment_id, created_at"
)
OLD = ", ".join(f"OLD.{c.strip()}" for c in KEPT.split(","))
NEW = ", ".join(f"NEW.{c.strip()}" for c in KEPT.split(","))

POSTGRES = f"""
CREATE FUNCTION billing_ledger_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.created_at >= now() - interval '7 years' THEN
            RAISE EXCEPTION 'ledger entries are kept 7 years';
        END IF;
        RETURN OLD;
    END IF;
    IF ROW({NEW}) IS DISTINCT FROM ROW({OLD}) THEN
        RAISE EXCEPTION 'ledger entries are never updated';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER billing_ledger_append_only BEFORE UPDATE OR DELETE ON billing_ledgerentry
    FOR EACH ROW EXECUTE FUNCTION billing_ledger_append_only();
"""
POSTGRES_DROP = """
DROP TRIGGER IF EXISTS billing_ledger_append_only ON billing_ledgerentry;
DROP FUNCTION IF EXISTS billing_ledger_append_only();
"""
SQLITE = [
    f"""CREATE TRIGGER billing_ledger_no_update BEFORE UPDATE OF {KEPT} ON billing_ledgerentry
    BEGIN SELECT RAISE(ABORT, 'ledger entries are never updated'); END;""",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS billing_ledger_no_update;",
]


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES)
    elif vendor == "sqlite":
        for statement in SQLITE:
            schema_editor.execute(statement)


def drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_DROP)
    elif vendor == "sqlite":
        for statement in SQLITE_DROP:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
