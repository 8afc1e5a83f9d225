import factory

from pitstop.accounts.tests.factories import StoreFactory
from pitstop.messaging.models import MessageTemplate, OutboundMessage


class MessageTemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MessageTemplate

    store = factory.SubFactory(StoreFactory)
    kind = "appointment_reminder"
    body = "{customer}您好，您的爱车{plate}预约于{time}到店。"


class OutboundMessageFactory(factory.django.DjangoModelFactory):
    """A message as recorded (no task run): for lists and pages."""

    class Meta:
        model = OutboundMessage

    store = factory.SubFactory(StoreFactory)
    kind = "ready_notice"
    to = factory.Sequence(lambda n: f"139{n:08d}")
    body = "【北京朝阳店】张先生您好，您的爱车京A12345预计16:00完工。"
    status = OutboundMessage.Status.STORED
