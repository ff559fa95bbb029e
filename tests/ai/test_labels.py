"""ai declares the reply labels without importing campaigns; the inbox uses that one list."""

from ai.labels import DESCRIPTIONS, ReplyLabel
from campaigns.models import Reply


def test_the_ai_labels_are_the_inbox_labels():
    assert Reply.Label is ReplyLabel  # declared once


def test_every_label_a_model_may_choose_is_described():
    assert set(DESCRIPTIONS) == set(ReplyLabel.values) - {"bounce"}
