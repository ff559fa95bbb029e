"""Print PORT if nothing listens on 127.0.0.1:PORT, else a free port the system picks.

`make run` starts the local mail catcher on 1025; another catcher (or MailHog) already there
must not stop the demo: the catcher moves, and the demo mailbox follows (POSTIGO_MAIL_PORT; the
same for its IMAP side on 1143, POSTIGO_IMAP_PORT)."""

import socket
import sys


def free_port(wanted: int) -> int:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", wanted))
            return wanted
        except OSError:
            pass
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


if __name__ == "__main__":
    print(free_port(int(sys.argv[1]) if len(sys.argv) > 1 else 1025))
