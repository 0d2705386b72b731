"""The sample spreadsheet of the README's import walkthrough
(``demo/sample-import/amal-caseload.xlsx``): made-up people of Amal's old
caseload in Arabic, Farsi, Ukrainian, Tigrinya (Ge'ez) and Latin script,
headers in French and Arabic as an agency's own file would have them, and on
purpose:

- row 5: a date of birth that does not exist (31/02/1991);
- row 8: a case type the guess does not know ("Wohnung": mapped by hand);
- row 10: a caseworker e-mail of nobody at Amal;
- row 12: Fereshteh Karimi, already Amal's client (AMAL-00006): a possible
  duplicate to link, skip or import as a new person.

``manage.py shell -c "from casework.demo.sample_import import write; write()"``
writes the file again;
tests/casework/test_import_demo.py checks the file holds these rows.
"""

import io
from pathlib import Path

HEADERS = [
    "N° dossier",
    "Nom",
    "Name in Latin letters",
    "Date de naissance",
    "Sexe",
    "Nationalité",
    "Langues",
    "Téléphone",
    "نوع الحالة",
    "Caseworker",
    "Type de pièce",
    "Numéro de pièce",
    "Consent date",
    "Consent method",
    "Consent purpose",
]
ROWS = [
    ["OLD-101", "نور الهدى سليمان", "Nour al-Huda Suleiman", "12/03/1994", "F", "Syrie",
     "arabe", "+39 320 555 0101", "سكن", "caseworker@amal.example", "passport", "N0981234",
     "2023-05-02", "written", "case_management"],
    ["OLD-102", "Богдан Савчук", "Bohdan Savchuk", "1979-07-30", "M", "Ukraine",
     "ukrainien, russe", "+39 320 555 0102", "Legal", "", "", "", "", "", ""],
    ["OLD-103", "ሚኪኤል ተኽለ", "Mikiel Tekle", "1990", "M", "Érythrée", "Tigrinya",
     "", "Health", "caseworker@amal.example", "", "", "", "", ""],
    ["OLD-104", "زهرا نوری", "Zahra Nouri", "31/02/1991", "F", "Afghanistan", "persan",
     "+39 320 555 0104", "Employment", "", "", "", "", "", ""],
    ["OLD-105", "Kwame Mensah", "", "05/11/1986", "M", "Ghana", "anglais",
     "+39 320 555 0105", "Education", "", "national_id", "GHA-4471902", "", "", ""],
    ["OLD-106", "Олена Гончар", "Olena Honchar", "22/09/2001", "F", "UA", "uk",
     "", "social", "supervisor@amal.example", "", "", "2024-01-15", "verbal", "contact"],
    ["OLD-107", "عبد الرحمن قاسم", "Abdulrahman Qasim", "01/01/1970", "M", "Irak",
     "arabe, kurde", "", "Wohnung", "", "", "", "", "", ""],
    ["OLD-108", "Hawa Conteh", "", "17/04/2003", "F", "Sierra Leone", "anglais",
     "+39 320 555 0108", "Language", "", "", "", "", "", ""],
    ["OLD-109", "ኤልሳ ገብረ", "Elsa Gebre", "08/08/1999", "F", "ER", "Tigrinya, amharique",
     "", "Family reunification", "someone@elsewhere.example", "", "", "", "", ""],
    ["OLD-110", "Samuel Okoro", "", "14/02/1982", "M", "Nigeria", "anglais",
     "+39 320 555 0110", "Housing", "", "", "", "", "", ""],
    ["OLD-111", "فرشته کریمی", "Fereshteh Karimi", "15/08/2000", "F", "Afghanistan",
     "persan", "", "Education", "", "", "", "", "", ""],
]  # fmt: skip
PATH = Path(__file__).resolve().parents[2] / "demo" / "sample-import" / "amal-caseload.xlsx"


def sample_workbook() -> bytes:
    """The sample file's bytes (dates as text, as many agencies' files keep them)."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Dossiers"
    sheet.append(HEADERS)
    for row in ROWS:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def write() -> Path:
    PATH.parent.mkdir(parents=True, exist_ok=True)
    PATH.write_bytes(sample_workbook())
    return PATH
