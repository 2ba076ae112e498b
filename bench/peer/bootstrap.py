"""Create the benchmark's API user, provider and customer in the peer's database; print them as JSON.

Run with the peer's own interpreter (bench/peer/.venv) after ``manage.py migrate``.
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "silverbench.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import User  # noqa: E402
from silver.models import Customer, Provider  # noqa: E402

password = sys.argv[1] if len(sys.argv) > 1 else "bench-password"
providers = int(sys.argv[2]) if len(sys.argv) > 2 else 1  # one per workload, so each numbers from 1
user = User.objects.create_user("bench", "bench@example.com", password, is_staff=True, is_superuser=True)
provider_ids = [
    Provider.objects.create(
        name=f"Bench Provider {i}", company="Bench Ltd", email="billing@bench.example", address_1="1 Old Street",
        city="London", country="GB", flow=Provider.FLOWS.INVOICE, invoice_series=f"B{i}", invoice_starting_number=1,
        proforma_series=f"P{i}", proforma_starting_number=1,
    ).pk
    for i in range(providers)
]
customer = Customer.objects.create(
    first_name="Ada", last_name="Lovelace", company="Facebook", email="ap@facebook.example",
    address_1="1 Hacker Way", city="Menlo Park", state="CA", zip_code="94025", country="US", currency="USD",
)
print(json.dumps({"username": user.username, "password": password, "providers": provider_ids, "customer": customer.pk}))
