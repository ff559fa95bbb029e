"""Bodies saved from the editor before `&lt;a|b&gt;` was read as spintax: store their groups as
`{a|b}`, as docs/TEMPLATES.md always said the editor does (the HTML part sent them literally).

The conversion is frozen here (not imported), so this migration never changes behaviour."""

import re

from django.db import migrations

_INSIDE = r"(?:(?!&lt;|&gt;|\\&gt;)[^<>=/\"'])*"
_EVEN = r"(?<!\\)((?:\\\\)*)"
_PIPE = r"(?<!\\)((?:\\\\)*)\|"
_GROUP = rf"({_INSIDE}{_PIPE}{_INSIDE})"
_ENCODED_GROUP = re.compile(rf"{_EVEN}&lt;{_GROUP}&gt;")
_ESCAPED_GROUP = re.compile(rf"{_EVEN}\\&lt;{_GROUP}\\?&gt;")  # kept literal


def convert(body: str) -> str:
    while True:
        converted = _ENCODED_GROUP.sub(lambda m: m[1] + "{" + m[2] + "}", body)
        if converted == body:
            break
        body = converted
    return _ESCAPED_GROUP.sub(
        lambda m: m[1] + "&lt;" + re.sub(_PIPE, r"\1\\|", m[2]) + "&gt;", body
    )


def forwards(apps, schema_editor):
    Variant = apps.get_model("campaigns", "Variant")
    for variant in Variant.objects.filter(body_html__contains="&lt;").only("pk", "body_html"):
        body = convert(variant.body_html)
        if body != variant.body_html:
            Variant.objects.filter(pk=variant.pk).update(body_html=body)


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0013_campaign_bounce_limit")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
