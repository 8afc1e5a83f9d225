"""The kinds of message Pitstop sends, what each may say, and its default wording.

A kind is data in code, not a database choice: an app that sends a new kind of message
(appointments, follow-ups, campaigns) registers it in its AppConfig.ready() with
`register_kind`, and its default template is created by the next migrate. Messaging never
imports the apps that use it.

Marketing kinds (promotions, greetings with an offer) go only to customers who agreed to
marketing messages; service notices about the customer's own car (reminders, approval
links, delays, "your car is ready") are transactional and are sent regardless (PIPL art. 13:
needed to perform the service contract). A marketing template must tell how to opt out."""

from dataclasses import dataclass, field

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# Every placeholder a template may use, with what it stands for (shown in the editor).
PLACEHOLDERS: dict[str, Promise] = {
    "customer": _("how the customer is addressed, e.g. 张先生"),
    "plate": _("the plate, e.g. 京A12345"),
    "time": _("the time the message is about (appointment, new finish time, ready time)"),
    "store": _("the store's name (filled in automatically)"),
    "address": _("the store's address (filled in automatically)"),
    "phone": _("the store's phone (filled in automatically)"),
    "link": _("a link for the customer to open"),
}
# Values shown in the editor's preview.
SAMPLE = {
    "customer": "张先生",
    "plate": "京A12345",
    "time": "6月18日 09:30",
    "store": "北京朝阳店",
    "address": "北京市朝阳区建国路88号",
    "phone": "010-65001234",
    "link": "https://dms.example.cn/a/8Fk2Qx",
}
OPT_OUT_WORDS = ("退订", "拒收")


@dataclass(frozen=True)
class Kind:
    code: str
    label: Promise
    default_body: str
    placeholders: frozenset[str] = field(default_factory=frozenset)
    marketing: bool = False


KINDS: dict[str, Kind] = {}


def register_kind(kind: Kind) -> None:
    unknown = kind.placeholders - set(PLACEHOLDERS)
    if unknown:
        raise ValueError(f"unknown placeholders for {kind.code}: {sorted(unknown)}")
    KINDS[kind.code] = kind


def get_kind(code: str) -> Kind | None:
    return KINDS.get(code)


def kind_label(code: str) -> str:
    kind = KINDS.get(code)
    return str(kind.label) if kind else code


def kind_choices() -> list[tuple[str, str]]:
    return [(code, str(kind.label)) for code, kind in KINDS.items()]


_SERVICE = frozenset({"customer", "plate", "time", "store", "address", "phone"})

for _kind in (
    Kind(
        "appointment_confirmed",
        _("appointment confirmed"),
        "{customer}您好，您的爱车{plate}已成功预约{time}到{store}保养维修，期待您的光临。",
        _SERVICE,
    ),
    Kind(
        "appointment_reminder",
        _("appointment reminder"),
        "{customer}您好，温馨提醒：您的爱车{plate}预约于{time}到{store}，请准时到店；如需改期请与服务顾问联系。",
        _SERVICE,
    ),
    Kind(
        "approval_link",
        _("approval link for add-on work"),
        "{customer}您好，技师在检查您的爱车{plate}时发现需增加维修项目，请点击 {link} 查看明细并确认。",
        _SERVICE | {"link"},
    ),
    Kind(
        "delay_notice",
        _("delay notice"),
        "{customer}您好，很抱歉，您的爱车{plate}预计完工时间调整为{time}，给您带来不便，敬请谅解。",
        _SERVICE,
    ),
    Kind(
        "ready_notice",
        _("vehicle ready notice"),
        "{customer}您好，您的爱车{plate}预计{time}完工，届时请到{store}取车。",
        _SERVICE,
    ),
    Kind(
        "promotion",
        _("promotion (marketing)"),
        "{customer}您好，{store}本月保养套餐限时优惠，欢迎到店咨询。拒收请回复R",
        frozenset({"customer", "plate", "store", "address", "phone", "link"}),
        marketing=True,
    ),
):
    register_kind(_kind)
