"""What billing tells the apps that spend the balance (campaigns connects to these)."""

from django.dispatch import Signal

# The balance can no longer pay for one email (sent inside the transaction that made it so).
balance_exhausted = Signal()  # kwargs: workspace
# A credit brought it back above one email's price.
balance_restored = Signal()  # kwargs: workspace
# It fell below the workspace's low-balance threshold (once per crossing).
balance_low = Signal()  # kwargs: workspace, balance
