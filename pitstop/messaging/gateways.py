"""Where a message goes: nowhere (the "store only" default) or an HTTP SMS gateway.

SMS_GATEWAY_URL unset: messages are only recorded and shown in the outbox; nothing leaves the
machine (a demo, a shop without an SMS contract, a test). Set: each message is POSTed as JSON
{"to": "13800138000", "text": "【北京朝阳店】…"} with `Authorization: Bearer <SMS_GATEWAY_TOKEN>`;
the gateway answers 2xx with JSON carrying its message id in "id" (or "message_id"). Most
Chinese SMS providers (Aliyun, Tencent Cloud…) are reached through a small relay that speaks
this shape, so their signing rules stay out of Pitstop."""

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings


class GatewayError(Exception):
    """The gateway did not take the message. `retry`: worth trying again later (timeouts,
    connection errors, 5xx, 429); a refusal of the message itself (other 4xx) is not."""

    def __init__(self, message: str, *, retry: bool = True):
        super().__init__(message)
        self.retry = retry


@dataclass(frozen=True)
class Delivery:
    gateway_id: str = ""
    stored_only: bool = False


class Gateway(Protocol):
    name: str

    def send(self, *, to: str, text: str) -> Delivery: ...


class StoreOnlyGateway:
    name = "store_only"

    def send(self, *, to: str, text: str) -> Delivery:
        return Delivery(stored_only=True)


class HttpGateway:
    name = "http"

    def __init__(self, url: str, token: str = "", timeout: float = 5.0):
        self.url = url
        self.token = token
        self.timeout = timeout

    def send(self, *, to: str, text: str) -> Delivery:
        payload = json.dumps({"to": to, "text": text}, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json; charset=utf-8", "Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(self.url, data=payload, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                raw = response.read(64 * 1024)
        except urllib.error.HTTPError as error:
            retry = error.code >= 500 or error.code in (408, 429)
            detail = _short(error.read(300).decode("utf-8", "replace")) if error.fp else ""
            raise GatewayError(f"HTTP {error.code} {error.reason} {detail}".strip(), retry=retry) from None
        except TimeoutError:
            raise GatewayError(f"timeout after {self.timeout:g} s") from None
        except urllib.error.URLError as error:
            reason = error.reason
            if isinstance(reason, TimeoutError):
                raise GatewayError(f"timeout after {self.timeout:g} s") from None
            raise GatewayError(f"cannot reach the gateway: {reason}") from None
        except OSError as error:  # connection reset half-way
            raise GatewayError(f"connection error: {error}") from None
        try:
            data = json.loads(raw or b"{}")
        except ValueError:
            data = {}
        gateway_id = (data.get("id") or data.get("message_id") or "") if isinstance(data, dict) else ""
        return Delivery(gateway_id=str(gateway_id)[:64])


def _short(text: str) -> str:
    return " ".join(text.split())[:200]


def get_gateway() -> Gateway:
    if settings.SMS_GATEWAY_URL:
        return HttpGateway(
            settings.SMS_GATEWAY_URL,
            settings.SMS_GATEWAY_TOKEN,
            timeout=float(getattr(settings, "SMS_GATEWAY_TIMEOUT", 5)),
        )
    return StoreOnlyGateway()
