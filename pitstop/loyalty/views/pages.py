"""The loyalty app's pages (F-7.1 to F-7.5), one module per subject."""

from . import balances, coupons, members, memberships, rules

urlpatterns = [
    *members.urlpatterns,
    *memberships.urlpatterns,
    *balances.urlpatterns,
    *coupons.urlpatterns,
    *rules.urlpatterns,
]
