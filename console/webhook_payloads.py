"""What a webhook receiver gets: Standard Webhooks headers and a `type`/`timestamp`/`data` body.

The signature is the Standard Webhooks one (https://www.standardwebhooks.com): HMAC-SHA256 of
`<webhook-id>.<webhook-timestamp>.<body>` with the secret's key, so any receiver verifies with
`standardwebhooks.Webhook(secret).verify(body, headers)` or the scheme's library in its own
language. `webhook-id` names the delivery and stays the same across its retries: a receiver
that has handled one id ignores it the next time.
"""

from __future__ import annotations

import base64
import secrets
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from standardwebhooks import Webhook as StandardWebhook

from console.schemas.alerts import AlertPublic

EventType = Literal["alert.raised", "alert.seen_again"]
RAISED: EventType = "alert.raised"
SEEN_AGAIN: EventType = "alert.seen_again"
SECRET_BYTES = 32


def new_secret() -> str:
    """`whsec_` + base64 of 32 random bytes: the form Standard Webhooks libraries take."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def message_id(delivery_id: int) -> str:
    return f"msg_{delivery_id}"


def signed_headers(secret: str, msg_id: str, body: bytes, at: datetime) -> dict[str, str]:
    """The three Standard Webhooks headers for one attempt of one delivery."""
    signature = StandardWebhook(secret).sign(msg_id, at, body.decode())
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature,
    }


class WebhookSighting(BaseModel):
    """The re-sighting an alert.seen_again reports: where and when the car was seen again."""

    model_config = ConfigDict(frozen=True)

    id: int
    read_id: str
    camera_id: str
    camera_name: str
    seen_at: datetime


class MediaLinks(BaseModel):
    """Absolute, signed links to the images of the read the event is about (the alert's read,
    or the sighting's); None where the read has no such image or retention purged it."""

    model_config = ConfigDict(frozen=True)

    crop_url: str | None
    frame_url: str | None
    expires_at: datetime


class WebhookData(BaseModel):
    model_config = ConfigDict(frozen=True)

    agency_id: int
    alert: AlertPublic
    sighting: WebhookSighting | None = None
    # Signed when each attempt is sent, so a retry an hour later still carries working links.
    links: MediaLinks | None = None


class WebhookPayload(BaseModel):
    """The body: Standard Webhooks' recommended `type`, `timestamp` (when the event happened:
    the alert raised, the car seen again) and `data`."""

    model_config = ConfigDict(frozen=True)

    type: EventType
    timestamp: datetime
    data: WebhookData = Field(description="the alert as the agency's officers see it")

    def with_links(self, links: MediaLinks) -> WebhookPayload:
        return self.model_copy(update={"data": self.data.model_copy(update={"links": links})})
