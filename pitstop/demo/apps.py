from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo shop. It sits above every app, so each app keeps its own demo module and this
    app only runs them in order."""

    name = "pitstop.demo"
    label = "demo"
