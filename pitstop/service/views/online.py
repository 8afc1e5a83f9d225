"""The owners' public booking page (F-2, B-4): no login, made for a phone. The store's name and
address; plate, mobile, name, the wanted service; a day and one of its free times (HTMX
refreshes the times when the day or the service changes; without JavaScript the "show free
times" button does the same). The request lands in the advisor's list to confirm."""

import datetime

from axes.helpers import get_client_ip_address
from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache

from pitstop.core.exceptions import ApplicationError
from pitstop.core.forms import BootstrapMixin
from pitstop.core.htmx import render_page

from .. import capacity, online
from ..models import Appointment, BayType

SESSION_KEY = "online_booking"
HONEYPOT = "website"


class OnlineBookingForm(BootstrapMixin, forms.Form):
    plate = forms.CharField(
        label=gettext_lazy("Plate"),
        max_length=10,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "characters",
                "placeholder": gettext_lazy("e.g. 京A12345"),
            }
        ),
    )
    mobile = forms.CharField(
        label=gettext_lazy("Mobile"),
        max_length=20,
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "numeric", "autocomplete": "tel"}),
    )
    contact_name = forms.CharField(
        label=gettext_lazy("Your name"),
        max_length=60,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    service = forms.ChoiceField(label=gettext_lazy("What does the car need?"))
    bay_type = forms.ChoiceField(
        label=gettext_lazy("Kind of work"),
        choices=BayType.choices,
        required=False,
        initial=BayType.MECHANICAL,
    )
    wish = forms.CharField(
        label=gettext_lazy("Tell us more"),
        max_length=200,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    day = forms.DateField(label=gettext_lazy("Day"))
    time = forms.CharField(label=gettext_lazy("Time"), max_length=5)
    # The honeypot: hidden from people, filled by bots.
    website = forms.CharField(
        required=False,
        label=gettext_lazy("Leave this empty"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def __init__(self, *args, services, days, bay_types, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["bay_type"].choices = bay_types or BayType.choices
        self.fields["service"].choices = (
            [("", _("— choose —"))]
            + [(service.key, service.name) for service in services]
            + [(online.OTHER, _("Something else (describe it below)"))]
        )
        self.days = days

    def clean_day(self) -> datetime.date:
        day = self.cleaned_data["day"]
        if day not in self.days:
            raise forms.ValidationError(_("Choose one of the days shown."))
        return day

    def clean_time(self) -> datetime.time:
        try:
            return datetime.time.fromisoformat(self.cleaned_data["time"])
        except ValueError:
            raise forms.ValidationError(_("Choose a time.")) from None


def _client(request: HttpRequest) -> str:
    return get_client_ip_address(request) or ""


def _chosen_day(data, days: list[datetime.date]) -> datetime.date | None:
    try:
        day = datetime.date.fromisoformat(data.get("day") or "")
    except ValueError:
        day = None
    if day in days:
        return day
    return days[0] if days else None


def _slots(store, data, services, days) -> dict:
    day = _chosen_day(data, days)
    bay_type = data.get("bay_type") or online.default_bay_type(online.store_bay_types(store))
    service = online.service_for(services, data.get("service") or "", bay_type)
    times = online.free_times(store, day, service) if day and service else []
    return {
        "chosen_day": day,
        "service_chosen": service is not None,
        "times": [start.strftime("%H:%M") for start in times],
        "chosen_time": data.get("time") or "",
    }


@never_cache
def book_online(request: HttpRequest, code: str) -> HttpResponse:
    """The public booking page of one store; 404 for an unknown store, a polite page when the
    store does not take bookings online."""
    store = online.booking_store(code)
    if not online.accepts_online(store):
        return render(request, "service/online/closed.html", {"store": store})
    services = online.booking_services(store)
    days = online.booking_days(store)
    data = request.POST.copy() if request.method == "POST" else None
    if data is not None and data.get(HONEYPOT):
        # A bot: thank it and keep nothing.
        return redirect("service:book_online_done", code=store.code)
    bay_types = online.store_bay_types(store)
    initial = {"bay_type": online.default_bay_type(bay_types)}
    showing = data is not None and bool(data.get("show"))
    if showing:  # "show free times" without JavaScript: keep what was typed, judge nothing yet
        initial.update({key: value for key, value in data.items() if key in OnlineBookingForm.base_fields})
    form = OnlineBookingForm(
        None if showing else data, services=services, days=days, bay_types=bay_types, initial=initial
    )
    status = 200
    booking_error = ""
    if data is not None and not showing:
        address = _client(request)
        status = 400
        if not online.address_allowed(address):
            booking_error, status = online.too_many().message, 429
        else:
            online.address_count(address)
            if form.is_valid():
                cd = form.cleaned_data
                service = online.service_for(services, cd["service"], cd["bay_type"])
                try:
                    appointment = online.online_request(
                        store=store,
                        plate=cd["plate"],
                        mobile=cd["mobile"],
                        contact_name=cd["contact_name"],
                        service=service,
                        wish=cd["wish"],
                        starts_at=datetime.datetime.combine(
                            cd["day"], cd["time"], tzinfo=capacity.local_zone()
                        ),
                    )
                except ApplicationError as error:
                    if error.code == online.RATE_LIMITED:
                        status = 429
                    field = {"starts_at": "time", "content": "wish"}.get(error.field or "", error.field)
                    if field in form.fields and status != 429:
                        form.add_error(field, str(error.message))
                    else:
                        booking_error = str(error.message)
                else:
                    request.session[SESSION_KEY] = appointment.pk
                    return redirect("service:book_online_done", code=store.code)
    source = data if data is not None else request.GET
    context = {
        "store": store,
        "form": form,
        "days": days,
        "today": timezone.localdate(),
        "booking_error": booking_error,
        "other": online.OTHER,
        **_slots(store, source, services, days),
    }
    return render_page(
        request, "service/online/book.html", context, partials=("online-slots",), status=status
    )


@never_cache
def book_online_done(request: HttpRequest, code: str) -> HttpResponse:
    """Thank you: the store confirms by SMS. The time and number are shown only to the browser
    that made the request (kept in its session)."""
    store = online.booking_store(code)
    appointment = None
    pk = request.session.get(SESSION_KEY)
    if pk:
        appointment = Appointment.objects.filter(pk=pk, store=store).first()
    return render(request, "service/online/done.html", {"store": store, "appointment": appointment})


urlpatterns = [
    path("book/<str:code>/", book_online, name="book_online"),
    path("book/<str:code>/thanks/", book_online_done, name="book_online_done"),
]
