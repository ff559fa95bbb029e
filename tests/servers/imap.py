"""A real IMAP server for tests: a private Debian dovecot instance with one Maildir user."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from tests.servers.smtp import free_port
from tests.servers.tls import make_certificate

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"

CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = no
auth_mechanisms = plain login{mechanisms}
default_internal_user = dovecot
default_login_user = dovenull
first_valid_uid = {uid}
mail_location = maildir:~/Maildir
{oauth_passdb}passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {root}/passwd
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {ssl_port}
  }}
}}
"""


def available() -> bool:
    return os.path.exists(DOVECOT) and os.geteuid() == 0


class TestIMAPServer:
    username = "sender@acme.example"
    password = "imap-Passw0rd"

    def __init__(self, certificate=None, *, introspection_url: str = ""):
        """`introspection_url`: also accept AUTHENTICATE XOAUTH2/OAUTHBEARER, the bearer token
        checked there (RFC 7662, as dovecot's oauth2 passdb does against a real provider)."""
        # pytest's tmp_path is private to root; dovecot's own users must reach this folder.
        self.root = Path(tempfile.mkdtemp(prefix="postigo-dovecot-"))
        self.root.chmod(0o755)
        self.cert, self.key = make_certificate(self.root)
        if certificate:  # share the caller's, so one CA file verifies every test server
            shutil.copy(certificate[0], self.cert)
            shutil.copy(certificate[1], self.key)
        self.port, self.ssl_port = free_port(), free_port()
        entry = pwd.getpwnam("dovecot")
        self.uid, self.gid = entry.pw_uid, entry.pw_gid
        home = self.root / "home" / "sender"
        (home / "Maildir").mkdir(parents=True)
        for path in (self.root / "home", home, home / "Maildir"):
            os.chown(path, self.uid, self.gid)
        (self.root / "passwd").write_text(
            f"{self.username}:{{PLAIN}}{self.password}:{self.uid}:{self.gid}::{home}::\n"
        )
        oauth_passdb = ""
        if introspection_url:
            (self.root / "oauth2.conf").write_text(
                f"introspection_mode = post\nintrospection_url = {introspection_url}\n"
                "force_introspection = yes\nusername_attribute = email\n"
                "active_attribute = active\nactive_value = true\n"
            )
            oauth_passdb = (
                "passdb {\n  driver = oauth2\n  mechanisms = xoauth2 oauthbearer\n"
                f"  args = {self.root}/oauth2.conf\n}}\n"
            )
        self.config = self.root / "dovecot.conf"
        self.config.write_text(
            CONFIG.format(
                root=self.root,
                cert=self.cert,
                key=self.key,
                uid=self.uid,
                port=self.port,
                ssl_port=self.ssl_port,
                mechanisms=" xoauth2 oauthbearer" if introspection_url else "",
                oauth_passdb=oauth_passdb,
            )
        )

    def start(self) -> TestIMAPServer:
        # dovecot daemonises; its children would hold a captured pipe open forever.
        with open(self.root / "start.log", "wb") as log:
            subprocess.run([DOVECOT, "-c", str(self.config)], check=True, stdout=log, stderr=log)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                time.sleep(0.05)
        log = (
            (self.root / "dovecot.log").read_text() if (self.root / "dovecot.log").exists() else ""
        )
        raise RuntimeError(f"dovecot did not start:\n{log}")

    def stop(self) -> None:
        subprocess.run(
            [DOVECOT, "-c", str(self.config), "stop"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=30,
        )
        shutil.rmtree(self.root, ignore_errors=True)
