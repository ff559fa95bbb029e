"""Honest placeholder pages for sections whose feature has not shipped yet."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET


@dataclass(frozen=True)
class Placeholder:
    title: str
    icon: str
    heading: str
    body: str
    will_show: list[str] = field(default_factory=list)


def placeholder_view(page: Placeholder):
    """A signed-in page saying what this section will hold once it is built."""

    @login_required
    @require_GET
    def view(request):
        return render(request, "shell/placeholder.html", {"page": page})

    return view
