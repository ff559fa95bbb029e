"""Renderings of a campaign's templates that together use every spintax option at least once:
what the content filter checks at launch (sending/content_gate.py) and in the editor."""

from __future__ import annotations

from campaigns.authoring.rendering import parse_variant
from campaigns.authoring.templating import Merge, Spin, TemplateError
from campaigns.models import Campaign

MAX_RENDERINGS = 12  # per template: enough to use every option of every group once


def _pick(nodes, k: int, out: list[str]) -> None:
    for node in nodes:
        if isinstance(node, str):
            out.append(node)
        elif isinstance(node, Merge):
            out.append("{{" + node.name + "}}")
        elif isinstance(node, Spin):
            _pick(node.options[k % len(node.options)], k, out)


def _widest(nodes) -> int:
    widest = 1
    for node in nodes:
        if isinstance(node, Spin):
            widest = max(widest, len(node.options), *(_widest(o) for o in node.options))
    return widest


def renderings(template) -> list[str]:
    """Renderings that together use every spintax option at least once (the k-th takes option
    k of each group, so as many as the widest group has options)."""
    count = min(_widest(template.nodes), MAX_RENDERINGS)
    seen: dict[str, None] = {}
    for k in range(count):
        out: list[str] = []
        _pick(template.nodes, k, out)
        seen["".join(out)] = None
    return list(seen)


def campaign_variants(campaign: Campaign) -> list[tuple[str, str]]:
    """(subject, body) pairs to check: each variant as written, and its covering renderings."""
    pairs: list[tuple[str, str]] = []
    for step in campaign.steps.prefetch_related("variants"):
        for variant in step.variants.all():
            variant.step = step
            step.campaign = campaign
            pairs.append((variant.subject, variant.body_html))
            try:
                parsed = parse_variant(variant)
            except TemplateError:
                continue  # the launch gate reports it
            subjects, bodies = renderings(parsed.subject), renderings(parsed.body)
            for k in range(max(len(subjects), len(bodies))):
                pairs.append((subjects[k % len(subjects)], bodies[k % len(bodies)]))
    return pairs
