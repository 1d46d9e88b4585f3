"""E-mail over SMTP (plain, STARTTLS or implicit TLS; optional AUTH).

smtplib is blocking, so each message is sent from a worker thread.  SMTP 4xx replies and network
errors are retried; 5xx replies (unknown recipient, message refused) and failed authentication are
permanent — retrying would not change the answer.
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from sinks.alerts.channels.base import DeliveryError
from sinks.alerts.config import SmtpSettings
from sinks.alerts.models import Channel, EmailChannel
from sinks.alerts.render import Delivery, header, subject, text_body


class EmailSender:
    def __init__(self, settings: SmtpSettings, kibana_url: str | None = None) -> None:
        self.settings = settings
        self.kibana_url = kibana_url

    def build(self, channel: EmailChannel, delivery: Delivery) -> EmailMessage:
        # The default policy encodes non-ASCII header text (RFC 2047) and folds long lines;
        # ``header`` has already made every untrusted value one line (see render.py).
        message = EmailMessage()
        message["From"] = self.settings.sender
        message["To"] = ", ".join(header(address, 320) for address in channel.to)
        message["Subject"] = subject(delivery)
        message["Date"] = formatdate(localtime=False)
        # Stable across retries, so a mail client shows a re-sent alert once.
        message["Message-ID"] = make_msgid(idstring=delivery.delivery_id, domain="parley")
        message["X-Parley-Delivery"] = header(delivery.delivery_id)
        message["X-Parley-Subscription"] = header(delivery.subscription.subscription_id)
        message.set_content(text_body(delivery, self.kibana_url))
        return message

    async def send(self, channel: Channel, delivery: Delivery, attempt: int) -> None:
        assert isinstance(channel, EmailChannel)
        message = self.build(channel, delivery)
        await asyncio.to_thread(self._send_sync, message)

    def _tls(self) -> ssl.SSLContext:
        cafile = str(self.settings.ca_file) if self.settings.ca_file is not None else None
        return ssl.create_default_context(cafile=cafile)

    def _send_sync(self, message: EmailMessage) -> None:
        s = self.settings
        try:
            smtp: smtplib.SMTP
            if s.ssl:
                smtp = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=self._tls())
            else:
                smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
            with smtp:
                if s.starttls:
                    smtp.starttls(context=self._tls())
                if s.username:
                    password = s.password.resolve() if s.password is not None else None
                    smtp.login(s.username, password or "")
                smtp.send_message(message)
        except smtplib.SMTPAuthenticationError as exc:
            raise DeliveryError(
                f"SMTP authentication failed ({exc.smtp_code})", permanent=True
            ) from exc
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise DeliveryError(
                f"recipients refused: {sorted(exc.recipients)}",
                permanent=all(c >= 500 for c in codes),
            ) from exc
        except smtplib.SMTPResponseException as exc:
            raise DeliveryError(
                f"SMTP {exc.smtp_code}: {exc.smtp_error!r}", permanent=exc.smtp_code >= 500
            ) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"SMTP: {type(exc).__name__}: {exc}", permanent=False) from exc
