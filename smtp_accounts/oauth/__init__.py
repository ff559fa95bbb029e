"""Mailboxes connected with OAuth 2.0 (Google, Microsoft 365): no password, XOAUTH2 sign-in.

- `providers`: each provider's endpoints, scopes and mail hosts, from settings.
- `flow`: the authorization code flow with PKCE, its `state` bound to the session and workspace.
- `tokens`: access tokens refreshed shortly before expiry, one refresh at a time per mailbox;
  a revoked grant deletes the tokens; Disconnect revokes at the provider.

The tokens live AES-256-GCM encrypted in `OAuthToken` and are only ever sent to the provider
and to its own SMTP/IMAP hosts (`handshake.py`).
"""
