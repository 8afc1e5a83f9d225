"""The loyalty services in one place (F-7.1 to F-7.5). Each kind lives in its own module;
read their docstrings for the rules (spending order and refunds of stored value, FIFO expiry
of points, tier rules, lost cards).

Lock order when one payment touches several balances: stored value, points, package cards,
coupons — always in that order, so two payments never wait on each other in a circle."""

from .cards import (
    card_item_for,
    package_card_reverse,
    package_card_sell,
    package_card_use,
    package_cards_expire,
)
from .common import NO_REFERENCE, Reference
from .coupons import CouponQuote, coupon_check, coupon_redeem, coupon_reinstate, coupon_void, coupons_issue
from .memberships import (
    membership_by_card,
    membership_change_tier,
    membership_join,
    membership_leave,
    membership_renew,
    membership_replace_card,
    tier_met,
)
from .points import (
    points_earn,
    points_earned_total,
    points_expire,
    points_for,
    points_needed,
    points_reverse,
    points_spend,
    points_terms,
    points_value,
)
from .stored_value import (
    spend_split,
    stored_value_balance,
    stored_value_refund,
    stored_value_reverse,
    stored_value_spend,
    stored_value_top_up,
    top_up_rule_for,
)

__all__ = [
    "NO_REFERENCE",
    "CouponQuote",
    "Reference",
    "card_item_for",
    "coupon_check",
    "coupon_redeem",
    "coupon_reinstate",
    "coupon_void",
    "coupons_issue",
    "membership_by_card",
    "membership_change_tier",
    "membership_join",
    "membership_leave",
    "membership_renew",
    "membership_replace_card",
    "package_card_reverse",
    "package_card_sell",
    "package_card_use",
    "package_cards_expire",
    "points_earn",
    "points_earned_total",
    "points_expire",
    "points_for",
    "points_needed",
    "points_reverse",
    "points_spend",
    "points_terms",
    "points_value",
    "spend_split",
    "stored_value_balance",
    "stored_value_refund",
    "stored_value_reverse",
    "stored_value_spend",
    "stored_value_top_up",
    "tier_met",
    "top_up_rule_for",
]
