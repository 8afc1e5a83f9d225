"""/api/v1/parts/, warehouses/, stock-levels/, stock-movements/ (read only) and stock-issues/:
the stock services with the same scoping and validation as the pages."""

from django.db import transaction
from django_filters import rest_framework as filters
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from pitstop.core.scoping import has_perm_in_store, permitted_store_ids
from pitstop.core.text import pinyin_initials

from . import selectors, services
from .models import Part, StockLevel, StockMovement, Warehouse

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
        serializer.save(name_initials=pinyin_initials(serializer.validated_data["name"]))

    def perform_update(self, serializer):
        name = serializer.validated_data.get("name", serializer.instance.name)
        serializer.save(name_initials=pinyin_initials(name))


class WarehouseViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = WarehouseSerializer

    def get_queryset(self):
        return selectors.warehouses_for(self.request.user).order_by("store", "code")


class StockLevelViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = StockLevelSerializer
    filterset_fields = ["part", "warehouse"]

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
