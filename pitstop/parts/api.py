"""/api/v1/parts/, warehouses/, stock-levels/, stock-movements/ (read only) and stock-issues/:
the stock services with the same scoping and validation as the pages."""

from django import forms
from django.db import transaction
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from pitstop.core.scoping import has_perm_in_store, permitted_store_ids, scoped

from . import catalogue, purchasing, selectors, services
from .models import Part, PurchaseOrder, PurchaseOrderLine, StockLevel, StockMovement, Supplier, Warehouse

ISSUE = "parts.add_stockmovement"


class PartSerializer(serializers.ModelSerializer):
    class Meta:
        model = Part
        fields = ["id", *services.PART_FIELDS]


class WarehouseSerializer(serializers.ModelSerializer):
    class Meta:
        model = Warehouse
        fields = ["id", "store", "code", "name", "kind", "is_active"]


class StockLevelSerializer(serializers.ModelSerializer):
    part_code = serializers.CharField(source="part.code", read_only=True)
    available = serializers.DecimalField(max_digits=12, decimal_places=3, read_only=True)

    class Meta:
        model = StockLevel
        fields = [
            "id",
            "part",
            "part_code",
            "warehouse",
            "bin",
            "on_hand",
            "reserved",
            "available",
            "average_cost",
            "value",
            "min_level",
            "max_level",
            "last_movement_at",
        ]


class StockMovementSerializer(serializers.ModelSerializer):
    class Meta:
        model = StockMovement
        fields = [
            "id",
            "at",
            "store",
            "warehouse",
            "part",
            "kind",
            "quantity",
            "unit_cost",
            "value",
            "on_hand_after",
            "value_after",
            "reference_type",
            "reference_id",
            "reference_no",
            "taken_by",
            "reversal_of",
            "note",
        ]


class _StoreScopedField(serializers.PrimaryKeyRelatedField):
    """A warehouse of a store where the caller may issue; any other reads as missing."""

    def get_queryset(self):
        request = self.context["request"]
        return Warehouse.objects.filter(store_id__in=request.user.store_ids_with(ISSUE), is_active=True)


class IssueLineSerializer(serializers.Serializer):
    part = serializers.PrimaryKeyRelatedField(queryset=Part.objects.filter(is_active=True))
    quantity = serializers.DecimalField(max_digits=12, decimal_places=3)


class StockIssueSerializer(serializers.Serializer):
    warehouse = _StoreScopedField(queryset=Warehouse.objects.none())
    lines = IssueLineSerializer(many=True, allow_empty=False)
    purpose = serializers.ChoiceField(
        choices=["issue", "counter_sale", "supplier_return", "scrap"], default="issue"
    )
    reference_type = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    reference_id = serializers.IntegerField(required=False, allow_null=True, default=None)
    reference_no = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    taken_by = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class PartFilter(filters.FilterSet):
    q = filters.CharFilter(method="search", label="code, barcode, name, pinyin initials or a model it fits")

    class Meta:
        model = Part
        fields = ["category", "quality", "origin", "brand"]

    def search(self, queryset, name, value):
        return queryset.filter(pk__in=selectors.parts_matching(value).values("pk"))


class PartViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """The chain's catalogue: readable wherever a role may look parts up."""

    serializer_class = PartSerializer
    filterset_class = PartFilter
    queryset = Part.objects.select_related("category").order_by("code")

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        perm = "parts.view_part" if request.method in ("GET", "HEAD", "OPTIONS") else "parts.change_part"
        if not permitted_store_ids(request.user, perm):
            raise PermissionDenied()

    def perform_create(self, serializer):
        serializer.instance = catalogue.part_save(actor=self.request.user, data=serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = catalogue.part_save(
            actor=self.request.user, part=serializer.instance, data=serializer.validated_data
        )


class WarehouseViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = WarehouseSerializer

    def get_queryset(self):
        return selectors.warehouses_for(self.request.user).order_by("store", "code")


class IdFilter(filters.NumberFilter):
    field_class = forms.IntegerField


class StockLevelFilter(filters.FilterSet):
    # Plain ids: a lookup by part and warehouse is the hottest call of the API, and choice
    # filters would first load the part and the warehouse (two queries) only to check they exist.
    part = IdFilter(field_name="part_id")
    warehouse = IdFilter(field_name="warehouse_id")

    class Meta:
        model = StockLevel
        fields = ["part", "warehouse"]


class StockLevelViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = StockLevelSerializer
    filterset_class = StockLevelFilter

    def get_queryset(self):
        return selectors.levels_for(self.request.user).order_by("warehouse", "part__code")


class StockMovementViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = StockMovementSerializer
    filterset_fields = ["part", "warehouse", "kind", "reference_type", "reference_id"]

    def get_queryset(self):
        return selectors.movements_for(self.request.user).order_by("-id")


class StockIssueViewSet(viewsets.GenericViewSet):
    """POST stock-issues/: parts out of a warehouse (to a job, a counter sale, back to the
    supplier, scrapped); all lines or none."""

    serializer_class = StockIssueSerializer

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        warehouse = data["warehouse"]
        if not has_perm_in_store(request.user, ISSUE, warehouse.store_id):
            raise PermissionDenied()
        with transaction.atomic():
            movements = services.stock_issue(
                actor=request.user,
                warehouse=warehouse,
                kind=data["purpose"],
                lines=[(line["part"], line["quantity"]) for line in data["lines"]],
                reference=services.Reference(
                    data["reference_type"], data["reference_id"], data["reference_no"]
                ),
                taken_by=data["taken_by"],
                note=data["note"],
            )
        return Response(
            {"movements": StockMovementSerializer(movements, many=True).data}, status=status.HTTP_201_CREATED
        )


# --- purchasing -------------------------------------------------------------------------------


class SupplierSerializer(serializers.ModelSerializer):
    class Meta:
        model = Supplier
        fields = [
            "id",
            "code",
            "name",
            "contact",
            "phone",
            "address",
            "payment_terms_days",
            "lead_time_days",
            "is_active",
        ]


class SupplierViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = SupplierSerializer
    queryset = Supplier.objects.order_by("code")

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not permitted_store_ids(request.user, "parts.view_supplier"):
            raise PermissionDenied()


class OrderLineSerializer(serializers.ModelSerializer):
    part = serializers.PrimaryKeyRelatedField(queryset=Part.objects.filter(is_active=True))

    class Meta:
        model = PurchaseOrderLine
        fields = ["part", "quantity", "unit_cost", "received"]
        read_only_fields = ["received"]


class PurchaseOrderSerializer(serializers.ModelSerializer):
    lines = OrderLineSerializer(many=True)
    warehouse = _StoreScopedField(queryset=Warehouse.objects.none())

    class Meta:
        model = PurchaseOrder
        fields = [
            "id",
            "number",
            "store",
            "supplier",
            "warehouse",
            "status",
            "expected_on",
            "note",
            "lines",
            "created_at",
        ]
        read_only_fields = ["id", "number", "store", "status", "created_at"]


class ReceiveLineSerializer(serializers.Serializer):
    part = serializers.PrimaryKeyRelatedField(queryset=Part.objects.all())
    quantity = serializers.DecimalField(max_digits=12, decimal_places=3)
    unit_cost = serializers.DecimalField(
        max_digits=14, decimal_places=4, required=False, allow_null=True, default=None
    )


class ReceiveSerializer(serializers.Serializer):
    lines = ReceiveLineSerializer(many=True, allow_empty=False)
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class PurchaseOrderViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Purchase orders of the caller's stores. Changes go through the purchasing services:
    create (a draft), order, cancel, close, and receive."""

    serializer_class = PurchaseOrderSerializer
    filterset_fields = ["status", "supplier", "warehouse"]

    def get_queryset(self):
        return (
            scoped(PurchaseOrder.objects.all(), self.request.user, "parts.view_purchaseorder")
            .select_related("supplier", "warehouse")
            .prefetch_related("lines")
            .order_by("-id")
        )

    def _may_change(self, order_or_warehouse, perm: str = "parts.change_purchaseorder") -> None:
        if not has_perm_in_store(self.request.user, perm, order_or_warehouse.store_id):
            raise PermissionDenied()

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        self._may_change(data["warehouse"], "parts.add_purchaseorder")
        order = purchasing.purchase_order_create(
            actor=request.user,
            store=data["warehouse"].store,
            supplier=data["supplier"],
            warehouse=data["warehouse"],
            lines=[(line["part"], line["quantity"], line["unit_cost"]) for line in data["lines"]],
            expected_on=data.get("expected_on"),
            note=data.get("note", ""),
        )
        return Response(self.get_serializer(order).data, status=status.HTTP_201_CREATED)

    def _move(self, request, to: str) -> Response:
        order = self.get_object()
        self._may_change(order)
        order = purchasing.purchase_order_transition(
            actor=request.user, order=order, to=to, note=request.data.get("note", "")
        )
        return Response(self.get_serializer(order).data)

    @action(detail=True, methods=["post"])
    def order(self, request, pk=None, **kwargs):
        return self._move(request, PurchaseOrder.Status.ORDERED)

    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None, **kwargs):
        return self._move(request, PurchaseOrder.Status.CANCELLED)

    @action(detail=True, methods=["post"])
    def close(self, request, pk=None, **kwargs):
        return self._move(request, PurchaseOrder.Status.CLOSED)

    @extend_schema(request=ReceiveSerializer, responses=StockMovementSerializer(many=True))
    @action(detail=True, methods=["post"])
    def receive(self, request, pk=None, **kwargs):
        order = self.get_object()
        self._may_change(order)
        self._may_change(order, ISSUE)  # receiving moves stock
        serializer = ReceiveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        movements = purchasing.purchase_order_receive(
            actor=request.user,
            order=order,
            reason=data["reason"],
            lines=[(line["part"], line["quantity"], line["unit_cost"]) for line in data["lines"]],
        )
        return Response(
            {"movements": StockMovementSerializer(movements, many=True).data}, status=status.HTTP_201_CREATED
        )
