from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.routers import DefaultRouter
from rest_framework.throttling import ScopedRateThrottle

from pitstop.billing import api as billing_api
from pitstop.customers import api as customers_api
from pitstop.parts import api as parts_api
from pitstop.service import api as service_api
from pitstop.workshop import api as workshop_api


class TokenView(ObtainAuthToken):
    """POST username and password, get the token for `Authorization: Token <token>`."""

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"


router = DefaultRouter()
router.register("customers", customers_api.CustomerViewSet, basename="customer")
router.register("vehicles", customers_api.VehicleViewSet, basename="vehicle")
router.register("parts", parts_api.PartViewSet, basename="part")
router.register("warehouses", parts_api.WarehouseViewSet, basename="warehouse")
router.register("stock-levels", parts_api.StockLevelViewSet, basename="stock-level")
router.register("stock-movements", parts_api.StockMovementViewSet, basename="stock-movement")
router.register("stock-issues", parts_api.StockIssueViewSet, basename="stock-issue")
router.register("suppliers", parts_api.SupplierViewSet, basename="supplier")
router.register("purchase-orders", parts_api.PurchaseOrderViewSet, basename="purchase-order")
router.register("appointments", service_api.AppointmentViewSet, basename="appointment")
router.register("repair-orders", workshop_api.RepairOrderViewSet, basename="repair-order")
router.register("settlements", billing_api.SettlementViewSet, basename="settlement")

api_v1 = [
    path("auth/token/", TokenView.as_view(), name="api-token"),
    path("search/", customers_api.search, name="api-search"),
    path("", include(router.urls)),
]

urlpatterns = [
    path("", include("pitstop.accounts.urls")),
    path("", include("pitstop.customers.urls")),
    path("", include("pitstop.parts.urls")),
    path("", include("pitstop.messaging.urls")),
    path("", include("pitstop.service.urls")),
    path("", include("pitstop.workshop.urls")),
    path("", include("pitstop.billing.urls")),
    path("", include("pitstop.loyalty.urls")),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("admin/", admin.site.urls),
]
