"""Demo casework for ``manage.py seed_demo``: clients with names in several
scripts, cases in every status, notes, follow-ups, documents and consents.
Everything is written through the services, by the demo agencies' own staff."""

from casework.demo.cases import seed_casework
from casework.demo.consents import seed_consents
from casework.demo.data import PDF_BYTES, PNG_BYTES

__all__ = ["PDF_BYTES", "PNG_BYTES", "seed_casework", "seed_consents"]
