"""ai declares the reply labels without importing campaigns; the inbox stores the same values."""

from ai.labels import DESCRIPTIONS, ReplyLabel
from campaigns.models import Reply


def test_the_ai_labels_are_the_inbox_labels():
    assert ReplyLabel.choices == Reply.Label.choices


def test_every_label_a_model_may_choose_is_described():
    assert set(DESCRIPTIONS) == set(ReplyLabel.values) - {"bounce"}
