"""Notifier adapters: SMTP (real mail) and a file outbox (one .eml file per reminder)."""

from __future__ import annotations

import email.policy
import hashlib
import smtplib
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path

from domain.notifications import Notification

DEFAULT_SENDER = "sto-herinneringen@dus-i.example"


# No folding below 998 characters: the reminder key header must stay one readable line.
POLICY = email.policy.SMTP.clone(max_line_length=998)


def to_email(notification: Notification, sender: str, files: dict[str, bytes] | None = None) -> EmailMessage:
    """The mail; `files`: the attachments' bytes by sha256 (a notification that has attachments needs them)."""
    message = EmailMessage(policy=POLICY)
    message["From"] = sender
    message["To"] = notification.to
    message["Subject"] = notification.subject
    message["Message-ID"] = notification.message_id
    message["Date"] = formatdate(localtime=False)
    if notification.attachments:  # a decision letter, not a reminder
        message["X-STO-Letter-Key"] = notification.key
    else:
        message["X-STO-Reminder-Key"] = notification.key
    message.set_content(notification.body)
    for attachment in notification.attachments:
        data = (files or {}).get(attachment.sha256)
        if data is None:
            raise LookupError(f"the attachment {attachment.filename} ({attachment.sha256[:12]}…) is not at hand")
        maintype, _, subtype = attachment.media_type.partition("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=attachment.filename)
    return message


class SmtpNotifier:
    """Sends through an SMTP server; raises on any failure so that the caller retries later."""

    def __init__(self, host: str = "127.0.0.1", port: int = 25, sender: str = DEFAULT_SENDER, timeout: float = 10.0):
        self.host, self.port, self.sender, self.timeout = host, port, sender, timeout

    def send(self, notification: Notification) -> str:
        return self.send_with(notification, {})

    def send_with(self, notification: Notification, files: dict[str, bytes]) -> str:
        """Send with the attachments' bytes (by sha256)."""
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            smtp.send_message(to_email(notification, self.sender, files))
        return notification.message_id


class FileNotifier:
    """Writes each reminder as an .eml file; writing the same reminder again replaces the same file."""

    def __init__(self, directory: Path, sender: str = DEFAULT_SENDER):
        self.directory = Path(directory)
        self.sender = sender

    def send(self, notification: Notification) -> str:
        return self.send_with(notification, {})

    def send_with(self, notification: Notification, files: dict[str, bytes]) -> str:
        """Write with the attachments' bytes (by sha256)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        name = hashlib.sha256(notification.key.encode()).hexdigest()[:24]
        path = self.directory / f"{notification.region_code}-{notification.due.isoformat()}-{name}.eml"
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(bytes(to_email(notification, self.sender, files)))
        tmp.replace(path)
        return str(path)


def notifier_from_url(url: str | None, default_directory: Path) -> SmtpNotifier | FileNotifier:
    """`smtp://host:port` or `file:///dir`; default: a file outbox in `default_directory`."""
    if not url:
        return FileNotifier(default_directory)
    if url.startswith("smtp://"):
        host, _, port = url[len("smtp://") :].partition(":")
        return SmtpNotifier(host or "127.0.0.1", int(port or 25))
    if url.startswith("file://"):
        return FileNotifier(Path(url[len("file://") :]))
    raise ValueError(f"STO_NOTIFIER_URL={url!r} is not understood; use smtp://HOST:PORT or file:///DIR")
