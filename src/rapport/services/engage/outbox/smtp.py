"""The `email` channel: each message sent over SMTP with the standard library (`smtplib`,
`email.message`), with STARTTLS, implicit TLS or (local relays) neither.

The address is the payload's `to`, else the `email` of the user's stored context
(`POST /users/{id}/context`); it is never logged (errors kept on the row are redacted)."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, parseaddr

from rapport.services.engage.outbox.channels import ChannelError, Delivery, NotConfigured

PORTS = {"starttls": 587, "ssl": 465, "none": 25}


def recipient(delivery: Delivery) -> str | None:
    """The address to send to: the message's `to`, else the user's context `email`."""
    for value in (delivery.entry.payload.get("to"), delivery.contact.get("email")):
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def compose(delivery: Delivery, sender: str, to: str) -> EmailMessage:
    entry = delivery.entry
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = entry.subject or "A message for you"
    message["Date"] = formatdate(entry.send_at.timestamp(), usegmt=True)
    domain = parseaddr(sender)[1].rpartition("@")[2] or "rapport.local"
    message["Message-ID"] = f"<{entry.id}@{domain}>"  # stable: a resend is the same mail
    message["X-Rapport-Message"] = entry.id
    text = entry.body
    if delivery.url:
        text = f"{text}\n\n{delivery.url}\n" if text else f"{delivery.url}\n"
    message.set_content(text)
    return message


class EmailChannel:
    name = "email"

    def send(self, delivery: Delivery, timeout: float) -> None:
        settings = delivery.settings
        if not settings.smtp_host or not settings.smtp_from:
            missing = "smtp_host" if not settings.smtp_host else "smtp_from"
            raise NotConfigured(
                f"channel 'email' is not configured for tenant '{delivery.tenant}': "
                f"set {missing} in [outbox] or [outbox.tenants.<tenant>]"
            )
        to = recipient(delivery)
        if to is None or "@" not in parseaddr(to)[1]:
            raise ChannelError(
                "email: no address for this user (payload 'to' or the user's context 'email')",
                permanent=True,
            )
        message = compose(delivery, settings.smtp_from, to)
        security = settings.smtp_security or "starttls"
        port = settings.smtp_port or PORTS[security]
        try:
            context = ssl.create_default_context(cafile=settings.smtp_ca_file)
            if security == "ssl":
                client: smtplib.SMTP = smtplib.SMTP_SSL(
                    settings.smtp_host, port, timeout=timeout, context=context
                )
            else:
                client = smtplib.SMTP(settings.smtp_host, port, timeout=timeout)
            with client:
                if security == "starttls":
                    client.starttls(context=context)
                if settings.smtp_user:
                    client.login(settings.smtp_user, settings.smtp_password or "")
                client.send_message(message)
        except smtplib.SMTPNotSupportedError as exc:
            # No STARTTLS (or login) offered: never fall back to sending in the clear.
            raise ChannelError(f"email: server does not support it: {exc}", permanent=True) from exc
        except smtplib.SMTPRecipientsRefused as exc:
            raise ChannelError("email: recipient refused", permanent=True) from exc
        except smtplib.SMTPAuthenticationError as exc:
            raise ChannelError(f"email: login refused ({exc.smtp_code})", permanent=True) from exc
        except smtplib.SMTPResponseException as exc:
            # 5xx answers are final, 4xx ones temporary (RFC 5321).
            raise ChannelError(
                f"email: server answered {exc.smtp_code}", permanent=exc.smtp_code >= 500
            ) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise ChannelError(f"email: {type(exc).__name__}: {exc}") from exc
