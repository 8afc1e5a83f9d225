"""Celery application.

With CELERY_BROKER_URL unset (the embedded default) tasks run eagerly in the web process,
so a single shop needs no broker; production points it at Redis or RabbitMQ.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("pitstop")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
