"""/api/v1/settlements/: settlements (结算单) with their lines and payments, read with the same
scoping as the pages (billing.view_settlement in the settlement's store; another store's bill
is 404), and payments taken through the same service as the cash desk:

POST {id}/payments/ {method, amount, tendered, reference, points, coupon_code, card_item} with
an `Idempotency-Key` header → payments.payment_record. The first request answers 201 with the
payment; a retry with the same key answers 200 with the same payment and never charges twice;
the same key sent with another amount, method or bill is refused with 409
(code idempotency_conflict). Bad input is 400 naming the field (and a `code`); a caller without
billing.add_payment in the bill's store 403."""

from django import forms
from django.db.models import Prefetch
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from pitstop.core.exceptions import ApplicationError
from pitstop.core.scoping import has_perm_in_store, scoped

from .models import Payment, Settlement, SettlementLine
from .payments import payment_record

VIEW = "billing.view_settlement"
PAY = "billing.add_payment"
Method = Payment.Method
MONEY = {"max_digits": 12, "decimal_places": 2}


# ---------------------------------------------------------------- output


class SettlementLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = SettlementLine
        fields = [
            "id",
            "position",
            "kind",
            "code",
            "name",
            "unit",
            "quantity",
            "unit_price",
            "amount_due",
            "discount_pct",
            "discount",
            "amount",
            "tax_rate",
            "tax",
            "payer",
            "customer_supplied",
        ]
        read_only_fields = fields


class PaymentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Payment
        fields = [
            "id",
            "store",
            "settlement",
            "purpose",
            "method",
            "amount",
            "tendered",
            "change",
            "reference",
            "points",
            "refund_of",
            "business_date",
            "cashier",
            "at",
            "note",
        ]
        read_only_fields = fields


class SettlementSerializer(serializers.ModelSerializer):
    outstanding = serializers.DecimalField(**MONEY, read_only=True)
    lines = SettlementLineSerializer(many=True, read_only=True)
    payments = PaymentSerializer(many=True, read_only=True)

    class Meta:
        model = Settlement
        fields = [
            "id",
            "number",
            "store",
            "status",
            "order",
            "counter_sale",
            "customer",
            "reverses",
            "labour_due",
            "labour_discount",
            "labour_charged",
            "parts_due",
            "parts_discount",
            "parts_charged",
            "fees",
            "manual_discount",
            "total",
            "tax",
            "owner_total",
            "received",
            "outstanding",
            "insurer",
            "claim_no",
            "excess",
            "invoice_no",
            "posted_at",
            "lines",
            "payments",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


# ---------------------------------------------------------------- input


class PaymentInputSerializer(serializers.Serializer):
    method = serializers.ChoiceField(
        choices=[(value, label) for value, label in Method.choices if value != Method.CARRY],
        help_text="cash, card, wechat, alipay, transfer, stored_value, points, coupon, package_card, credit",
    )
    amount = serializers.DecimalField(
        **MONEY,
        required=False,
        allow_null=True,
        default=None,
        help_text="Required except for points, coupon and package_card (their value decides the amount).",
    )
    tendered = serializers.DecimalField(
        **MONEY,
        required=False,
        allow_null=True,
        default=None,
        help_text="Cash handed over (change is given).",
    )
    reference = serializers.CharField(
        max_length=64,
        required=False,
        allow_blank=True,
        default="",
        help_text="The terminal's or platform's reference no. (card, WeChat, Alipay, transfer).",
    )
    points = serializers.IntegerField(
        min_value=1, required=False, allow_null=True, default=None, help_text="Points to spend."
    )
    coupon_code = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    card_item = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="The package card item's id."
    )
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


IDEMPOTENCY_KEY = OpenApiParameter(
    name="Idempotency-Key",
    type=OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description="A key unique to this payment (e.g. a UUID), up to 80 characters. A retry with the "
    "same key answers 200 with the payment the first request made and never charges twice; the same "
    "key with another amount, method or settlement answers 409.",
)
REFUSED = OpenApiResponse(
    inline_serializer(
        "PaymentRefused",
        fields={
            "amount": serializers.ListField(child=serializers.CharField(), required=False),
            "code": serializers.CharField(),
        },
    ),
    description="bad input or a rule broken: the field named (amount, method, reference, points, "
    "coupon_code, card_item, tendered) or non_field_errors, and a `code` (e.g. overpaid, reference, "
    "settlement_status, day_closed)",
)
CONFLICT = OpenApiResponse(
    description="the Idempotency-Key was already used for another payment (code idempotency_conflict)"
)
FORBIDDEN = OpenApiResponse(description="the caller may not take payments in the settlement's store")
MISSING = OpenApiResponse(description="no such settlement in the caller's stores")


# ---------------------------------------------------------------- the view set


class IdFilter(filters.NumberFilter):
    field_class = forms.IntegerField  # a decimal field would meet floats in the query string


class SettlementFilter(filters.FilterSet):
    store = IdFilter(field_name="store_id", label="store id")
    status = filters.MultipleChoiceFilter(choices=Settlement.Status.choices, label="status (repeatable)")
    order = IdFilter(field_name="order_id", label="work order id")

    class Meta:
        model = Settlement
        fields = ["store", "status", "order"]


@extend_schema_view(
    list=extend_schema(
        description="Settlements of the caller's stores (the current store when one is chosen), newest first."
    ),
    retrieve=extend_schema(responses={200: SettlementSerializer, 404: MISSING}),
)
class SettlementViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Settlements and their payments, with the same rules as the cash desk."""

    serializer_class = SettlementSerializer
    filterset_class = SettlementFilter

    def get_queryset(self):
        store = getattr(self.request, "store", None)
        return (
            scoped(Settlement.objects.all(), self.request.user, VIEW, store=store)
            .prefetch_related(
                Prefetch("lines", queryset=SettlementLine.objects.order_by("position", "id")),
                Prefetch("payments", queryset=Payment.objects.order_by("id")),
            )
            .order_by("-id")
        )

    @extend_schema(
        request=PaymentInputSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={
            201: PaymentSerializer,
            200: OpenApiResponse(PaymentSerializer, description="a replay: the payment the same key made"),
            400: REFUSED,
            403: FORBIDDEN,
            404: MISSING,
            409: CONFLICT,
        },
        description="Take a payment for a posted settlement (any method; several payments per bill). "
        "Send an Idempotency-Key so that a retried request never charges twice.",
    )
    @action(detail=True, methods=["post"], url_path="payments", url_name="payments")
    def payments(self, request, pk=None, **kwargs):
        settlement = self.get_object()
        if not has_perm_in_store(request.user, PAY, settlement.store_id):
            raise PermissionDenied(_("Your role cannot take payments in this store."))
        serializer = PaymentInputSerializer(data=request.data)
        if not serializer.is_valid():
            return Response({**serializer.errors, "code": "invalid"}, status=status.HTTP_400_BAD_REQUEST)
        data = serializer.validated_data
        key = (request.headers.get("Idempotency-Key") or "").strip()
        try:
            card_item = self._card_item(data["card_item"], settlement)
            replayed = (
                bool(key)
                and Payment.objects.filter(store_id=settlement.store_id, idempotency_key=key[:80]).exists()
            )
            payment = payment_record(
                actor=request.user,
                settlement=settlement,
                method=data["method"],
                amount=data["amount"],
                tendered=data["tendered"],
                reference=data["reference"],
                idempotency_key=key,
                note=data["note"],
                points=data["points"],
                coupon_code=data["coupon_code"],
                card_item=card_item,
            )
        except ApplicationError as error:
            if error.code == "permission":
                raise PermissionDenied(str(error.message)) from None
            code = (
                status.HTTP_409_CONFLICT
                if error.code == "idempotency_conflict"
                else status.HTTP_400_BAD_REQUEST
            )
            return Response({**error.as_dict(), "code": error.code}, status=code)
        return Response(
            PaymentSerializer(payment, context=self.get_serializer_context()).data,
            status=status.HTTP_200_OK if replayed else status.HTTP_201_CREATED,
        )

    @staticmethod
    def _card_item(item_id, settlement: Settlement):
        if item_id is None:
            return None
        from pitstop.loyalty.models import PackageCardItem

        item = PackageCardItem.objects.select_related("card").filter(pk=item_id).first()
        if item is None or item.card.store_id != settlement.store_id:
            raise ApplicationError(_("No such package card item."), field="card_item", code="card_item")
        return item
