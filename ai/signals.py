"""What the ai app announces; campaigns listens (ai never imports campaigns, DESIGN §3).

- `content_held(workspace, campaign_id, snapshots, explanation)`: content was blocked.
- `content_released(workspace, campaign_id, snapshot)`: an operator released it: may resume.
- `content_confirmed(workspace, campaign_id, snapshot)`: it stays blocked.
- `workspace_suspended(workspace)` / `workspace_restored(workspace)`.
"""

from django.dispatch import Signal

content_held = Signal()
content_released = Signal()
content_confirmed = Signal()
workspace_suspended = Signal()
workspace_restored = Signal()
