"""/api/v1/repair-orders/: work orders with their vehicle, state, labour and part lines, totals
and assignments, read with the same scoping as the pages (another store's order is 404), and
each state change as POST {id}/<action>/ through the same services and the same `may_move`:

sign (estimates.order_sign), dispatch (dispatch.assignment_create), start / clock-on
(technician.clock_on), wait-parts, wait-approval, resume (technician), check
(checks.check_record), washed (progress.washing_done), cancel (orders.order_transition).

A move the order's state does not allow answers 400 naming both states (`code`: transition);
a role that may not make the move 403. The step services are imported inside the actions:
each belongs to its own module of the workshop."""

from django import forms
from django.db.models import Prefetch
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from pitstop.accounts.models import User
from pitstop.core.exceptions import ApplicationError
from pitstop.core.scoping import has_perm_in_store
from pitstop.core.text import mask_identifier, normalise_code
from pitstop.customers.models import Vehicle
from pitstop.service import orders as service_orders
from pitstop.service.models import Bay, BayType, OrderLabour, OrderPart, RepairOrder

from .models import Assignment, QualityCheck, Team

Status = RepairOrder.Status
PERSONAL = "customers.view_personal_data"


# ---------------------------------------------------------------- output


class VehicleBriefSerializer(serializers.ModelSerializer):
    model = serializers.CharField(source="model_name", read_only=True)

    class Meta:
        model = Vehicle
        fields = ["id", "plate", "vin", "model"]


class LabourLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = OrderLabour
        fields = [
            "id",
            "code",
            "name",
            "bay_type",
            "hours",
            "rate",
            "price",
            "discount_pct",
            "amount",
            "is_addon",
            "approval",
            "approval_via",
            "decided_at",
            "done",
        ]


class PartLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = OrderPart
        fields = [
            "id",
            "part",
            "code",
            "name",
            "unit",
            "quantity",
            "unit_price",
            "discount_pct",
            "amount",
            "genuine",
            "customer_supplied",
            "supply",
            "expected_on",
            "issued",
            "is_addon",
            "approval",
            "approval_via",
            "decided_at",
        ]


class AssignmentSerializer(serializers.ModelSerializer):
    bay_name = serializers.CharField(source="bay.name", read_only=True, default="")
    team_name = serializers.CharField(source="team.name", read_only=True, default="")

    class Meta:
        model = Assignment
        fields = [
            "id",
            "bay_type",
            "bay",
            "bay_name",
            "team",
            "team_name",
            "technicians",
            "planned_start",
            "planned_end",
            "hours",
        ]


class TotalsSerializer(serializers.Serializer):
    labour = serializers.DecimalField(max_digits=12, decimal_places=2, source="labour_total")
    parts = serializers.DecimalField(max_digits=12, decimal_places=2, source="parts_total")
    total = serializers.DecimalField(max_digits=12, decimal_places=2)
    hours = serializers.DecimalField(max_digits=7, decimal_places=3, source="hours_total")


class RepairOrderSerializer(serializers.ModelSerializer):
    state = serializers.ChoiceField(source="status", choices=Status.choices, read_only=True)
    vehicle = VehicleBriefSerializer(read_only=True)
    labour_lines = LabourLineSerializer(many=True, read_only=True)
    part_lines = PartLineSerializer(many=True, read_only=True)
    totals = TotalsSerializer(source="*", read_only=True)
    assignments = AssignmentSerializer(many=True, read_only=True)

    class Meta:
        model = RepairOrder
        fields = [
            "id",
            "number",
            "store",
            "state",
            "business_type",
            "repair_category",
            "priority",
            "vehicle",
            "customer",
            "contact_name",
            "mobile",
            "advisor",
            "appointment",
            "mileage",
            "owner_description",
            "received_at",
            "promised_at",
            "signed_at",
            "signed_on_paper",
            "started_at",
            "finished_at",
            "ready_at",
            "rework_count",
            "certificate_no",
            "free_wash",
            "payment_method",
            "old_parts",
            "cancel_reason",
            "labour_lines",
            "part_lines",
            "totals",
            "assignments",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def to_representation(self, instance):
        """The mobile whole only for a role that sees personal data in that store (F-1.7)."""
        data = super().to_representation(instance)
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if not (user and has_perm_in_store(user, PERSONAL, instance.store_id)):
            data["mobile"] = mask_identifier(instance.mobile)
        return data


# ---------------------------------------------------------------- input


class SignSerializer(serializers.Serializer):
    on_paper = serializers.BooleanField(default=False, help_text="The paper copy is signed.")
    signature = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="A PNG data URL drawn by the owner."
    )
    payment_method = serializers.ChoiceField(choices=RepairOrder.Payment.choices, required=False)
    old_parts = serializers.ChoiceField(choices=RepairOrder.OldParts.choices, required=False)
    free_wash = serializers.BooleanField(required=False, allow_null=True, default=None)
    promised_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class DispatchSerializer(serializers.Serializer):
    bay_type = serializers.ChoiceField(choices=BayType.choices)
    planned_start = serializers.DateTimeField()
    planned_end = serializers.DateTimeField()
    bay = serializers.IntegerField(required=False, allow_null=True, default=None)
    team = serializers.IntegerField(required=False, allow_null=True, default=None)
    technicians = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    hours = serializers.DecimalField(
        max_digits=7, decimal_places=3, required=False, allow_null=True, default=None
    )


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class CancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200)


class CheckSerializer(serializers.Serializer):
    stage = serializers.ChoiceField(choices=QualityCheck.Stage.choices)
    passed = serializers.BooleanField()
    results = serializers.DictField(
        child=serializers.BooleanField(), required=False, allow_null=True, default=None
    )
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    responsible = serializers.IntegerField(required=False, allow_null=True, default=None)
    penalty = serializers.DecimalField(max_digits=12, decimal_places=2, required=False, default=0)
    lost_hours = serializers.DecimalField(max_digits=7, decimal_places=3, required=False, default=0)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


REFUSED = OpenApiResponse(
    inline_serializer(
        "RepairOrderRefused",
        fields={
            "status": serializers.ListField(child=serializers.CharField(), required=False),
            "code": serializers.CharField(),
        },
    ),
    description="refused: the state does not allow the move (`code` transition, the message names both "
    "states), or bad input (the field named)",
)
FORBIDDEN = OpenApiResponse(description="the caller's role may not make this move")
MISSING = OpenApiResponse(description="no such work order in the caller's stores")


def _moves(request_serializer, description: str):
    return extend_schema(
        request=request_serializer,
        responses={200: RepairOrderSerializer, 400: REFUSED, 403: FORBIDDEN, 404: MISSING},
        description=description,
    )


# ---------------------------------------------------------------- the view set


class IdFilter(filters.NumberFilter):
    field_class = forms.IntegerField  # a decimal field would meet floats in the query string


class RepairOrderFilter(filters.FilterSet):
    state = filters.MultipleChoiceFilter(
        field_name="status", choices=Status.choices, label="state (repeatable)"
    )
    vehicle = IdFilter(field_name="vehicle_id", label="vehicle id")
    plate = filters.CharFilter(method="by_plate", label="plate, exactly (京A12345)")
    opened_from = filters.DateFilter(
        method="opened_since", label="opened on or after (shop time), YYYY-MM-DD"
    )
    opened_to = filters.DateFilter(method="opened_until", label="opened on or before (shop time), YYYY-MM-DD")

    class Meta:
        model = RepairOrder
        fields = ["state", "vehicle", "plate", "opened_from", "opened_to"]

    def by_plate(self, queryset, name, value):
        return queryset.filter(vehicle__plate=normalise_code(value))

    def opened_since(self, queryset, name, value):
        from pitstop.service.appointments import day_range

        return queryset.filter(created_at__gte=day_range(value, value)[0])

    def opened_until(self, queryset, name, value):
        from pitstop.service.appointments import day_range

        return queryset.filter(created_at__lt=day_range(value, value)[1])


@extend_schema_view(
    list=extend_schema(
        description="Work orders of the caller's stores (the current store when one is chosen)."
    ),
    retrieve=extend_schema(responses={200: RepairOrderSerializer, 404: MISSING}),
)
class RepairOrderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Work orders (任务委托书) and their state changes, with the same rules as the pages."""

    serializer_class = RepairOrderSerializer
    filterset_class = RepairOrderFilter

    def get_queryset(self):
        store = getattr(self.request, "store", None)
        return (
            service_orders.orders_for(self.request.user, store)
            .select_related("vehicle")
            .prefetch_related(
                "labour_lines",
                "part_lines",
                Prefetch(
                    "assignments",
                    queryset=Assignment.objects.select_related("bay", "team").prefetch_related("technicians"),
                ),
            )
            .order_by("-id")
        )

    def get_serializer_class(self):
        return RepairOrderSerializer

    # --- helpers

    def _answer(self, order: RepairOrder) -> Response:
        fresh = self.get_queryset().get(pk=order.pk)
        return Response(RepairOrderSerializer(fresh, context=self.get_serializer_context()).data)

    @staticmethod
    def _refused(error: ApplicationError) -> Response:
        if error.code == "permission":
            raise PermissionDenied(str(error.message))
        return Response({**error.as_dict(), "code": error.code}, status=status.HTTP_400_BAD_REQUEST)

    @staticmethod
    def _may(request, order: RepairOrder, to: str) -> None:
        if not service_orders.may_move(request.user, order, to):
            raise PermissionDenied(
                _("Your role cannot move a work order to %(to)s.") % {"to": Status(to).label}
            )

    @staticmethod
    def _from(order: RepairOrder, to: str, states=None) -> None:
        """Refuse, naming both states, unless the order is in one of `states` (by default the
        states ALLOWED to move to `to`)."""
        allowed = (
            order.status in states if states is not None else to in RepairOrder.ALLOWED.get(order.status, ())
        )
        if not allowed:
            raise service_orders.refuse_move(order, to)

    def _body(self, serializer_class) -> dict:
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def _run(self, order: RepairOrder, step) -> Response:
        try:
            step()
        except ApplicationError as error:
            return self._refused(error)
        return self._answer(order)

    # --- the moves

    @_moves(
        SignSerializer,
        "The owner signs (on the tablet: `signature` PNG data URL; or `on_paper`): draft → confirmed.",
    )
    @action(detail=True, methods=["post"])
    def sign(self, request, pk=None, **kwargs):
        from pitstop.service.estimates import order_sign

        order = self.get_object()
        self._may(request, order, Status.CONFIRMED)
        data = self._body(SignSerializer)
        try:
            self._from(order, Status.CONFIRMED, (Status.DRAFT,))
        except ApplicationError as error:
            return self._refused(error)
        kwargs = {key: data[key] for key in ("payment_method", "old_parts") if key in data}
        return self._run(
            order,
            lambda: order_sign(
                actor=request.user,
                order=order,
                signature=data["signature"],
                on_paper=data["on_paper"],
                free_wash=data["free_wash"],
                promised_at=data["promised_at"],
                **kwargs,
            ),
        )

    @_moves(
        DispatchSerializer,
        "Give the order to a bay type (and optionally a bay, a team, technicians) from planned_start "
        "to planned_end: the first assignment moves confirmed → dispatched; more may follow while it "
        "is worked on.",
    )
    @action(detail=True, methods=["post"], url_path="dispatch", url_name="dispatch")
    def dispatch_order(self, request, pk=None, **kwargs):
        """(Not `dispatch`: that name is the view's own request dispatcher.)"""
        from .dispatch import DISPATCHABLE, assignment_create

        order = self.get_object()
        if not has_perm_in_store(request.user, service_orders.DISPATCH, order.store_id):
            raise PermissionDenied(_("Your role cannot dispatch work orders."))
        data = self._body(DispatchSerializer)
        try:
            self._from(order, Status.DISPATCHED, DISPATCHABLE)
            bay = team = None
            if data["bay"] is not None:
                bay = Bay.objects.filter(pk=data["bay"], store_id=order.store_id).first()
                if bay is None:
                    raise ApplicationError(_("No such bay in this store."), field="bay", code="bay")
            if data["team"] is not None:
                team = Team.objects.filter(pk=data["team"], store_id=order.store_id).first()
                if team is None:
                    raise ApplicationError(_("No such team in this store."), field="team", code="team")
            technicians = list(User.objects.filter(pk__in=data["technicians"]))
            if len(technicians) != len(set(data["technicians"])):
                raise ApplicationError(_("No such technician."), field="technicians", code="technician")
        except ApplicationError as error:
            return self._refused(error)
        return self._run(
            order,
            lambda: assignment_create(
                actor=request.user,
                order=order,
                bay_type=data["bay_type"],
                planned_start=data["planned_start"],
                planned_end=data["planned_end"],
                bay=bay,
                team=team,
                technicians=technicians,
                hours=data["hours"],
            ),
        )

    def _clock_on(self, request) -> Response:
        from .technician import CLOCKABLE, clock_on

        order = self.get_object()
        if not has_perm_in_store(request.user, service_orders.WORK, order.store_id):
            raise PermissionDenied(_("Only the workshop's technicians can do this on a work order."))
        try:
            self._from(order, Status.IN_PROGRESS, CLOCKABLE)
        except ApplicationError as error:
            return self._refused(error)
        return self._run(order, lambda: clock_on(actor=request.user, order=order))

    @_moves(None, "The caller clocks on the job: dispatched → in progress on the first clock.")
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None, **kwargs):
        return self._clock_on(request)

    @_moves(None, "The same as start: the caller clocks on the job.")
    @action(detail=True, methods=["post"], url_path="clock-on", url_name="clock-on")
    def clock_on(self, request, pk=None, **kwargs):
        return self._clock_on(request)

    @_moves(NoteSerializer, "In progress → waiting for parts; the clocks on the job stop.")
    @action(detail=True, methods=["post"], url_path="wait-parts", url_name="wait-parts")
    def wait_parts(self, request, pk=None, **kwargs):
        from .technician import job_wait_for_parts

        order = self.get_object()
        self._may(request, order, Status.WAITING_PARTS)
        note = self._body(NoteSerializer)["note"]
        try:
            self._from(order, Status.WAITING_PARTS)
        except ApplicationError as error:
            return self._refused(error)
        if has_perm_in_store(request.user, service_orders.WORK, order.store_id):
            return self._run(order, lambda: job_wait_for_parts(actor=request.user, order=order, note=note))
        return self._run(
            order,
            lambda: service_orders.order_transition(
                actor=request.user, order=order, to=Status.WAITING_PARTS, note=note
            ),
        )

    @_moves(None, "In progress → waiting for the owner's approval (some add-on work pending).")
    @action(detail=True, methods=["post"], url_path="wait-approval", url_name="wait-approval")
    def wait_approval(self, request, pk=None, **kwargs):
        from .technician import job_wait_for_approval

        order = self.get_object()
        self._may(request, order, Status.WAITING_APPROVAL)
        try:
            self._from(order, Status.WAITING_APPROVAL)
        except ApplicationError as error:
            return self._refused(error)
        return self._run(order, lambda: job_wait_for_approval(actor=request.user, order=order))

    @_moves(None, "Waiting for parts or approval → in progress again.")
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None, **kwargs):
        from .technician import job_resume

        order = self.get_object()
        self._may(request, order, Status.IN_PROGRESS)
        try:
            self._from(order, Status.IN_PROGRESS, (Status.WAITING_PARTS, Status.WAITING_APPROVAL))
        except ApplicationError as error:
            return self._refused(error)
        return self._run(order, lambda: job_resume(actor=request.user, order=order))

    @_moves(
        CheckSerializer,
        "Record a check: self (technician; passed → checking), team and final (failed → back to in progress "
        "as rework with reason, responsible, penalty; final passed → washing or ready), arrival / during "
        "(QC inspector, for the certified categories).",
    )
    @action(detail=True, methods=["post"])
    def check(self, request, pk=None, **kwargs):
        from . import checks

        order = self.get_object()
        data = self._body(CheckSerializer)
        if not checks.may_record(request.user, order, data["stage"]):
            raise PermissionDenied(_("Your role cannot record this check."))
        responsible = None
        if data["responsible"] is not None:
            responsible = User.objects.filter(pk=data["responsible"]).first()
            if responsible is None or not responsible.store_ids_with(service_orders.VIEW) & {order.store_id}:
                return self._refused(
                    ApplicationError(
                        _("No such person in this store."), field="responsible", code="responsible"
                    )
                )
        return self._run(
            order,
            lambda: checks.check_record(
                actor=request.user,
                order=order,
                stage=data["stage"],
                passed=data["passed"],
                results=data["results"],
                reason=data["reason"],
                responsible=responsible,
                penalty=data["penalty"],
                lost_hours=data["lost_hours"],
                note=data["note"],
            ),
        )

    @_moves(None, "The car is washed: washing → ready; the owner gets the ready notice.")
    @action(detail=True, methods=["post"])
    def washed(self, request, pk=None, **kwargs):
        from .progress import washing_done

        order = self.get_object()
        self._may(request, order, Status.READY)
        try:
            self._from(order, Status.READY, (Status.WASHING,))
        except ApplicationError as error:
            return self._refused(error)
        return self._run(order, lambda: washing_done(actor=request.user, order=order))

    @_moves(CancelSerializer, "Cancel the order, with the reason (from draft, confirmed or dispatched).")
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None, **kwargs):
        order = self.get_object()
        self._may(request, order, Status.CANCELLED)
        reason = self._body(CancelSerializer)["reason"]
        try:
            self._from(order, Status.CANCELLED)
        except ApplicationError as error:
            return self._refused(error)
        return self._run(
            order,
            lambda: service_orders.order_transition(
                actor=request.user, order=order, to=Status.CANCELLED, note=reason
            ),
        )
