from django.core.management import call_command

from pitstop.customers.models import Customer, Vehicle
from pitstop.customers.selectors import search_files


def test_generator_is_deterministic_and_searchable(db, advisor):
    call_command("generate_scale_data", "--customers", "300", "--seed", "7", "--store", "BJ01")
    first = list(Customer.objects.order_by("id").values_list("name", "mobile")[:20])
    vehicles = Vehicle.objects.filter(store__code="BJ01")
    assert Customer.objects.count() == 300 and 300 <= vehicles.count() <= 600
    Vehicle.objects.all().delete()
    Customer.objects.all().delete()
    call_command("generate_scale_data", "--customers", "300", "--seed", "7", "--store", "BJ01")
    assert list(Customer.objects.order_by("id").values_list("name", "mobile")[:20]) == first
    vehicle = Vehicle.objects.order_by("id").first()
    assert vehicle in search_files(user=advisor, query=vehicle.vin[-6:])["vehicles"]
