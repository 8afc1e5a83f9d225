"""Messages reach the page after an HTMX request too: the partial answer carries them along."""

from django.contrib.messages import get_messages, success
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.signed_cookies import SessionStore
from django.http import HttpResponse
from django.test import RequestFactory
from django_htmx.middleware import HtmxDetails

from pitstop.core.htmx import HtmxMessagesMiddleware


def _request(htmx: bool):
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    request = RequestFactory().post("/somewhere/", **headers)
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    request.htmx = HtmxDetails(request)
    return request


def _view(request):
    success(request, "调拨单已发出。")
    return HttpResponse("<div id='transfer'>在途</div>")


def test_an_htmx_answer_carries_the_new_message_out_of_band():
    request = _request(htmx=True)
    body = HtmxMessagesMiddleware(_view)(request).content.decode()
    assert "<div id='transfer'>在途</div>" in body
    assert 'id="messages"' in body and 'hx-swap-oob="true"' in body and "调拨单已发出。" in body
    assert request._messages.used  # shown now, so not stored for the next page


def test_a_plain_request_is_left_to_the_page():
    request = _request(htmx=False)
    body = HtmxMessagesMiddleware(_view)(request).content.decode()
    assert "hx-swap-oob" not in body
    assert not request._messages.used
    assert [str(m) for m in get_messages(request)] == ["调拨单已发出。"]
