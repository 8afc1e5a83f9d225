"""/api/v1/appointments/: bookings with the same scoping, capacity check and state rules as
the pages. POST creates (through appointment_book); POST {id}/confirm/, arrive/, no-show/,
cancel/ move the state (appointment_transition)."""

import datetime

from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from pitstop.accounts.models import Store
from pitstop.core.exceptions import ApplicationError
from pitstop.core.scoping import has_perm_in_store, permitted_store_ids
from pitstop.core.text import mask_identifier
from pitstop.customers.models import Customer, Vehicle

from . import appointments as services
from . import capacity
from .models import Appointment, BayType

Status = Appointment.Status


class AppointmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Appointment
        fields = [
            "id",
            "number",
            "store",
            "source",
            "status",
            "customer",
            "vehicle",
            "plate",
            "model_name",
            "contact_name",
            "mobile",
            "reminder",
            "content",
            "bay_type",
            "starts_at",
            "ends_at",
            "hours",
            "estimate",
            "parts_expected",
            "deposit",
            "deposit_reference",
            "accepted_by",
            "note",
            "arrived_at",
            "cancel_reason",
            "created_at",
        ]
        read_only_fields = fields

    def to_representation(self, instance):
        """The mobile as the pages show it: whole only for a role that sees personal data in
        that store (F-1.7), masked (138****5678) otherwise."""
        data = super().to_representation(instance)
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if not (user and has_perm_in_store(user, "customers.view_personal_data", instance.store_id)):
            data["mobile"] = mask_identifier(instance.mobile)
        return data


class _InStores(serializers.PrimaryKeyRelatedField):
    """A record of a store where the caller may book; any other reads as missing."""

    def __init__(self, model, **kwargs):
        self.model = model
        super().__init__(queryset=model.objects.none(), **kwargs)

    def get_queryset(self):
        stores = permitted_store_ids(self.context["request"].user, services.ADD)
        field = "pk" if self.model is Store else "store_id"
        return self.model.objects.filter(**{f"{field}__in": sorted(stores)})


class BookingSerializer(serializers.Serializer):
    store = _InStores(Store, required=False, allow_null=True, default=None)
    starts_at = serializers.DateTimeField()
    bay_type = serializers.ChoiceField(choices=BayType.choices)
    hours = serializers.DecimalField(max_digits=6, decimal_places=3)
    mobile = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    content = serializers.CharField(max_length=300)
    source = serializers.ChoiceField(choices=Appointment.Source.choices, default=Appointment.Source.DESK)
    customer = _InStores(Customer, required=False, allow_null=True, default=None)
    vehicle = _InStores(Vehicle, required=False, allow_null=True, default=None)
    plate = serializers.CharField(max_length=10, required=False, allow_blank=True, default="")
    model_name = serializers.CharField(max_length=80, required=False, allow_blank=True, default="")
    contact_name = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    reminder = serializers.ChoiceField(choices=Appointment.Reminder.choices, default=Appointment.Reminder.SMS)
    estimate = serializers.DecimalField(max_digits=12, decimal_places=2, default=0)
    parts_expected = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    deposit = serializers.DecimalField(max_digits=12, decimal_places=2, default=0)
    deposit_reference = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class MoveNoteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


SLOT_FULL = inline_serializer(
    "SlotFull",
    fields={
        "starts_at": serializers.ListField(child=serializers.CharField()),
        "free": serializers.ListField(child=serializers.DateTimeField()),
    },
)


class AppointmentFilter(filters.FilterSet):
    date = filters.DateFilter(method="on_day", label="appointment day (shop time), YYYY-MM-DD")

    class Meta:
        model = Appointment
        fields = ["status", "bay_type", "source"]

    def on_day(self, queryset, name, value):
        since, until = services.day_range(value, value)
        return queryset.filter(starts_at__gte=since, starts_at__lt=until)


def _refused(error: ApplicationError) -> Response:
    body = error.as_dict()
    if error.extra.get("free") is not None:
        body["free"] = error.extra["free"]
    return Response(body, status=status.HTTP_400_BAD_REQUEST)


class AppointmentViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Appointments of the caller's stores (the current store when one is chosen). A full
    slot answers 400 with `free`: the nearest free start times."""

    serializer_class = AppointmentSerializer
    filterset_class = AppointmentFilter

    def get_queryset(self):
        store = getattr(self.request, "store", None)
        return services.appointments_for(self.request.user, store).order_by("starts_at", "id")

    def get_serializer_class(self):
        return BookingSerializer if self.action == "create" else AppointmentSerializer

    def _store_for(self, data) -> Store:
        store = data.get("store") or getattr(self.request, "store", None)
        if store is None:
            stores = permitted_store_ids(self.request.user, services.ADD)
            if len(stores) != 1:
                raise ApplicationError(_("Say which store the booking is for."), field="store")
            store = Store.objects.get(pk=next(iter(stores)))
        if not has_perm_in_store(self.request.user, services.ADD, store.pk):
            raise PermissionDenied()
        return store

    @extend_schema(
        request=BookingSerializer,
        responses={201: AppointmentSerializer, 400: OpenApiResponse(SLOT_FULL, description="refused")},
    )
    def create(self, request, *args, **kwargs):
        if not permitted_store_ids(request.user, services.ADD):
            raise PermissionDenied()
        serializer = BookingSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        store = self._store_for(data)
        data.pop("store", None)
        starts_at = data.pop("starts_at")
        if isinstance(starts_at, datetime.datetime):
            starts_at = capacity.local(starts_at)
        try:
            appointment = services.appointment_book(
                actor=request.user, store=store, starts_at=starts_at, **data
            )
        except ApplicationError as error:
            return _refused(error)
        return Response(AppointmentSerializer(appointment).data, status=status.HTTP_201_CREATED)

    def _move(self, request, to: str) -> Response:
        appointment = self.get_object()
        if not has_perm_in_store(request.user, services.CHANGE, appointment.store_id):
            raise PermissionDenied()
        serializer = MoveNoteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        appointment = services.appointment_transition(
            actor=request.user, appointment=appointment, to=to, note=serializer.validated_data["note"]
        )
        return Response(AppointmentSerializer(appointment).data)

    @extend_schema(request=MoveNoteSerializer, responses=AppointmentSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None, **kwargs):
        """Confirm an online request; the owner gets the confirmation SMS."""
        return self._move(request, Status.CONFIRMED)

    @extend_schema(request=MoveNoteSerializer, responses=AppointmentSerializer)
    @action(detail=True, methods=["post"])
    def arrive(self, request, pk=None, **kwargs):
        return self._move(request, Status.ARRIVED)

    @extend_schema(request=MoveNoteSerializer, responses=AppointmentSerializer)
    @action(detail=True, methods=["post"], url_path="no-show")
    def no_show(self, request, pk=None, **kwargs):
        return self._move(request, Status.NO_SHOW)

    @extend_schema(request=MoveNoteSerializer, responses=AppointmentSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None, **kwargs):
        """Cancel; `note` is the reason and is required."""
        return self._move(request, Status.CANCELLED)
