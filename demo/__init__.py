"""The demo: ``manage.py seed_demo`` fills every app with invented agencies,
staff, clients, cases, consents, services and referrals. It stands above every
app it seeds (each app keeps its own demo data beside its code)."""
