"""/api/v1/customers/, /api/v1/vehicles/, /api/v1/search/: the same services, validation
and store scoping as the pages.

Personal numbers (mobile, phones, ID) come masked except on a single-record read by a role
allowed to see them, which is audited like a "show" click on the page."""

from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import api_view
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from pitstop.accounts.models import Store
from pitstop.core.audit import audit_record
from pitstop.core.scoping import has_perm_in_store, permitted_store_ids, scoped
from pitstop.core.text import mask_identifier, normalise_code

from . import selectors, services
from .models import Customer, CustomerTier, Vehicle

PERSONAL = selectors.PERSONAL


class ScopedRelatedField(serializers.PrimaryKeyRelatedField):
    """A related record the caller may see. Anything else reads as "does not exist", so the
    API never tells another store's records apart from missing ones."""

    def __init__(self, *, scope, **kwargs):
        self.scope = scope  # request -> queryset
        super().__init__(queryset=kwargs.pop("queryset", Customer.objects.none()), **kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        return self.scope(request) if request is not None else self.queryset.none()


def _customers_seen(request):
    return scoped(Customer.objects.all(), request.user, selectors.VIEW_CUSTOMER)


class MaskedIfNotAllowed(serializers.CharField):
    def to_representation(self, value):
        if not value:
            return value
        store_id = getattr(self.parent.instance_being_shown, "store_id", None)
        request = self.context.get("request")
        if (
            self.context.get("reveal")
            and request is not None
            and has_perm_in_store(request.user, PERSONAL, store_id)
        ):
            return value
        return mask_identifier(value)


class _RowAwareSerializer(serializers.ModelSerializer):
    def to_representation(self, instance):
        self.instance_being_shown = instance
        return super().to_representation(instance)


class CustomerSerializer(_RowAwareSerializer):
    mobile = MaskedIfNotAllowed(required=False, allow_blank=True, max_length=20)
    id_number = MaskedIfNotAllowed(required=False, allow_blank=True, max_length=18)
    home_phone = MaskedIfNotAllowed(required=False, allow_blank=True, max_length=30)
    office_phone = MaskedIfNotAllowed(required=False, allow_blank=True, max_length=30)
    store = ScopedRelatedField(
        scope=lambda request: Store.objects.filter(
            pk__in=request.user.store_ids_with("customers.add_customer")
        ),
        queryset=Store.objects.none(),
        required=False,
        help_text="Store id; needed when you work in several stores.",
    )
    tier = ScopedRelatedField(
        scope=lambda request: scoped(CustomerTier.objects.all(), request.user, "customers.view_customertier"),
        queryset=CustomerTier.objects.none(),
        required=False,
        allow_null=True,
    )
    tags = serializers.ListField(child=serializers.CharField(max_length=20), required=False, write_only=True)

    class Meta:
        model = Customer
        fields = [
            "id",
            "code",
            "store",
            *[f for f in services.CUSTOMER_FIELDS if f != "photo"],
            "tags",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "code", "created_at", "updated_at"]
        validators = []

    def validate(self, attrs):
        # A client that sends back what it read sends masked numbers: those mean "unchanged".
        if self.instance is not None:
            for name in services.CUSTOMER_SENSITIVE:
                current = getattr(self.instance, name)
                if name in attrs and current and attrs[name] == mask_identifier(current):
                    attrs.pop(name)
        return attrs

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["tags"] = [t.name for t in instance.tags.all()]
        return data


class VehicleSerializer(_RowAwareSerializer):
    owner = ScopedRelatedField(scope=_customers_seen)
    user = ScopedRelatedField(scope=_customers_seen, required=False, allow_null=True)
    driver = ScopedRelatedField(scope=_customers_seen, required=False, allow_null=True)
    owner_name = serializers.CharField(source="owner.name", read_only=True)

    class Meta:
        model = Vehicle
        fields = [
            "id",
            "file_no",
            "store",
            *services.VEHICLE_FIELDS,
            "owner_name",
            "current_mileage",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "file_no", "store", "current_mileage", "created_at", "updated_at"]
        validators = []
        extra_kwargs = {"vin": {"validators": []}}


class CustomerFilter(filters.FilterSet):
    q = filters.CharFilter(method="search", label="plate, VIN tail, mobile, name or pinyin initials")
    mobile = filters.CharFilter(method="by_mobile", label="mobile, its first 3 or last 4 digits")
    name = filters.CharFilter(field_name="name", lookup_expr="icontains")
    store = filters.NumberFilter(field_name="store_id")
    tier = filters.NumberFilter(field_name="tier_id")

    class Meta:
        model = Customer
        fields = ["customer_type", "kind"]

    def search(self, queryset, name, value):
        return queryset.filter(selectors.customers_matching(user=self.request.user, query=value))

    def by_mobile(self, queryset, name, value):
        digits = normalise_code(value)
        return queryset.filter(selectors._any(selectors.mobile_probes(self.request.user, digits)))


class VehicleFilter(filters.FilterSet):
    q = filters.CharFilter(method="search", label="plate, VIN tail, mobile, name or pinyin initials")
    vin = filters.CharFilter(method="by_vin")
    plate = filters.CharFilter(method="by_plate")
    store = filters.NumberFilter(field_name="store_id")
    owner = filters.NumberFilter(field_name="owner_id")

    class Meta:
        model = Vehicle
        fields = ["brand"]

    def search(self, queryset, name, value):
        return queryset.filter(selectors.vehicles_matching(user=self.request.user, query=value))

    def by_vin(self, queryset, name, value):
        code = normalise_code(value)
        return queryset.filter(vin=code) if len(code) == 17 else queryset.filter(vin__endswith=code)

    def by_plate(self, queryset, name, value):
        return queryset.filter(plate__contains=normalise_code(value))


def _store_for_create(request, perm: str, requested: Store | None) -> Store:
    allowed = permitted_store_ids(request.user, perm)
    if requested is not None:
        return requested  # the field only accepts stores where the caller may add
    if request.store is not None and request.store.pk in allowed:
        return request.store
    if len(allowed) == 1:
        return Store.objects.get(pk=next(iter(allowed)))
    if not allowed:
        raise PermissionDenied("Your role may not add records.")
    raise ValidationError({"store": ["You work in several stores: name the store."]})


class _ScopedViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    perm_view = perm_add = perm_change = ""

    def _require(self, perm: str, store_id: int) -> None:
        if not has_perm_in_store(self.request.user, perm, store_id):
            raise PermissionDenied()

    def _respond(self, record, *, reveal: bool = False, status_code: int = status.HTTP_200_OK) -> Response:
        context = {**self.get_serializer_context(), "reveal": reveal}
        return Response(self.get_serializer_class()(record, context=context).data, status=status_code)

    def list(self, request, *args, **kwargs):
        if not permitted_store_ids(request.user, self.perm_view):
            raise PermissionDenied()
        return super().list(request, *args, **kwargs)

    def retrieve(self, request, *args, **kwargs):
        record = self.get_object()
        reveal = isinstance(record, Customer) and has_perm_in_store(request.user, PERSONAL, record.store_id)
        if reveal:
            audit_record(actor=request.user, instance=record, action="reveal", note="api")
        return self._respond(record, reveal=reveal)


class CustomerViewSet(_ScopedViewSet):
    serializer_class = CustomerSerializer
    filterset_class = CustomerFilter
    perm_view, perm_add, perm_change = (
        selectors.VIEW_CUSTOMER,
        "customers.add_customer",
        "customers.change_customer",
    )

    def get_queryset(self):
        return (
            scoped(Customer.objects.all(), self.request.user, self.perm_view)
            .select_related("tier")
            .prefetch_related("tags")
            .order_by("-id")
        )

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        store = _store_for_create(request, self.perm_add, data.pop("store", None))
        tags = data.pop("tags", None)
        customer = services.customer_create(actor=request.user, store=store, data=data, tag_names=tags)
        # The caller has just typed these numbers: they come back as sent.
        return self._respond(customer, reveal=True, status_code=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        customer = self.get_object()
        self._require(self.perm_change, customer.store_id)
        serializer = self.get_serializer(customer, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("store", None)
        tags = data.pop("tags", None)
        customer = services.customer_update(actor=request.user, customer=customer, data=data, tag_names=tags)
        return self._respond(customer)


class VehicleViewSet(_ScopedViewSet):
    serializer_class = VehicleSerializer
    filterset_class = VehicleFilter
    perm_view, perm_add, perm_change = (
        selectors.VIEW_VEHICLE,
        "customers.add_vehicle",
        "customers.change_vehicle",
    )

    def get_queryset(self):
        return (
            scoped(Vehicle.objects.all(), self.request.user, self.perm_view)
            .select_related("owner")
            .order_by("-id")
        )

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        store = data["owner"].store
        self._require(self.perm_add, store.pk)
        vehicle = services.vehicle_create(actor=request.user, store=store, data=data)
        return self._respond(vehicle, status_code=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        vehicle = self.get_object()
        self._require(self.perm_change, vehicle.store_id)
        serializer = self.get_serializer(vehicle, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        vehicle = services.vehicle_update(
            actor=request.user, vehicle=vehicle, data=dict(serializer.validated_data)
        )
        return self._respond(vehicle)


@extend_schema(
    parameters=[
        OpenApiParameter("q", str, description="plate fragment, VIN tail, mobile, name, pinyin initials")
    ],
    responses=inline_serializer(
        "SearchResult",
        {"customers": CustomerSerializer(many=True), "vehicles": VehicleSerializer(many=True)},
    ),
)
@api_view(["GET"])
def search(request):
    found = selectors.search_files(user=request.user, query=request.query_params.get("q", ""), limit=20)
    context = {"request": request}
    return Response(
        {
            "customers": CustomerSerializer(found["customers"], many=True, context=context).data,
            "vehicles": VehicleSerializer(found["vehicles"], many=True, context=context).data,
        }
    )
