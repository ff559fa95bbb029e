"""The campaigns app's models, one module per concern (DESIGN §3)."""

from campaigns.models.authoring import DEFAULT_FOOTER, WEEKDAYS, Campaign, Step, Variant
from campaigns.models.inbox import Reply, SentReply
from campaigns.models.leads import (
    STANDARD_FIELDS,
    Lead,
    LeadImport,
    LeadImportFill,
    LeadList,
    LeadMembership,
    Suppression,
    SuppressionImport,
    normalize_email,
    value_hash,
)
from campaigns.models.sending import (
    CampaignDay,
    Enrollment,
    Event,
    OutboundMessage,
    StopReason,
    TrackedLink,
    TrackingHit,
)
from campaigns.models.stats import METRICS, CampaignStat
from campaigns.models.templates import SequenceTemplate

__all__ = [
    "DEFAULT_FOOTER",
    "STANDARD_FIELDS",
    "WEEKDAYS",
    "METRICS",
    "Campaign",
    "CampaignDay",
    "CampaignStat",
    "Enrollment",
    "Event",
    "OutboundMessage",
    "SequenceTemplate",
    "StopReason",
    "TrackedLink",
    "TrackingHit",
    "Lead",
    "LeadImport",
    "LeadImportFill",
    "LeadList",
    "LeadMembership",
    "Step",
    "Reply",
    "SentReply",
    "Suppression",
    "SuppressionImport",
    "Variant",
    "normalize_email",
    "value_hash",
]
