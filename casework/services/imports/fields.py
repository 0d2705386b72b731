"""The fields a spreadsheet's columns can fill, how a header is recognised
(in English, French and Arabic) and how a cell becomes a field's value.

Matching folds case, accents and Arabic letter variants (``casework.names.
normalise``), so ``Nationalité``, ``NATIONALITE`` and ``الجنسيه`` find their
field. A choice field's cell is read through the import's value mapping
first (what the user chose on the mapping page), then through the guesses
here: the choice's code, its label in English, French or Arabic, and the
usual abbreviations (``M``/``F``/``ذكر`` for sex).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache

from django.conf.locale import LANG_INFO
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_countries import countries

from casework.models import Case, Client, Consent, IdentityDocument, LegalStatus, Sex
from casework.names import normalise

# Where a field's value goes.
CLIENT, CASE, DOCUMENT, CONSENT, REFERENCE = "client", "case", "document", "consent", "reference"


@dataclass(frozen=True)
class Field:
    name: str
    label: object  # a lazy translation
    target: str
    kind: str  # text, date, bool, int, choice, countries, languages, email
    headers: tuple[str, ...] = ()
    choices: Callable[[], list[tuple[str, str]]] | None = None


def _choices(enum) -> Callable[[], list[tuple[str, str]]]:
    return lambda: [(value, str(label)) for value, label in enum.choices]


def _model_label(model, name: str):
    return model._meta.get_field(name).verbose_name


FIELDS: tuple[Field, ...] = (
    Field(
        "reference",
        gettext_lazy("Client reference in the file"),
        REFERENCE,
        "text",
        (
            "id",
            "ref",
            "reference",
            "client id",
            "client ref",
            "client reference",
            "file number",
            "beneficiary id",
            "case id",
            "reference",
            "identifiant",
            "numero de dossier",
            "numero",
            "المرجع",
            "الرقم",
            "رقم",
            "رقم الملف",
            "رقم المستفيد",
        ),
    ),
    Field(
        "name",
        _model_label(Client, "name"),
        CLIENT,
        "text",
        (
            "name",
            "full name",
            "client name",
            "beneficiary name",
            "nom",
            "nom complet",
            "nom et prenom",
            "prenom et nom",
            "الاسم",
            "الاسم الكامل",
            "اسم",
            "اسم المستفيد",
        ),
    ),
    Field(
        "name_latin",
        _model_label(Client, "name_latin"),
        CLIENT,
        "text",
        (
            "name in latin letters",
            "latin name",
            "name latin",
            "transliteration",
            "name transliterated",
            "nom en lettres latines",
            "nom latin",
            "الاسم باللاتينية",
            "الاسم بالاحرف اللاتينية",
        ),
    ),
    Field(
        "preferred_name",
        _model_label(Client, "preferred_name"),
        CLIENT,
        "text",
        ("preferred name", "known as", "nickname", "nom d usage", "الاسم المفضل"),
    ),
    Field(
        "date_of_birth",
        _model_label(Client, "date_of_birth"),
        CLIENT,
        "date",
        (
            "date of birth",
            "dob",
            "birth date",
            "birthdate",
            "born",
            "date de naissance",
            "ne le",
            "nee le",
            "تاريخ الميلاد",
            "تاريخ الولادة",
        ),
    ),
    Field(
        "date_of_birth_estimated",
        _model_label(Client, "date_of_birth_estimated"),
        CLIENT,
        "bool",
        (
            "dob estimated",
            "date of birth estimated",
            "estimated",
            "date estimee",
            "date de naissance estimee",
            "تاريخ تقديري",
            "تاريخ الميلاد تقديري",
        ),
    ),
    Field(
        "sex",
        _model_label(Client, "sex"),
        CLIENT,
        "choice",
        ("sex", "gender", "sexe", "genre", "الجنس", "النوع"),
        _choices(Sex),
    ),
    Field(
        "gender_identity",
        _model_label(Client, "gender_identity"),
        CLIENT,
        "text",
        ("gender identity", "identite de genre", "الهوية الجندرية"),
    ),
    Field(
        "nationalities",
        _model_label(Client, "nationalities"),
        CLIENT,
        "countries",
        (
            "nationality",
            "nationalities",
            "citizenship",
            "country of origin",
            "nationalite",
            "nationalites",
            "pays d origine",
            "الجنسية",
            "بلد الاصل",
        ),
    ),
    Field(
        "languages",
        _model_label(Client, "languages"),
        CLIENT,
        "languages",
        (
            "languages",
            "language",
            "languages spoken",
            "langues",
            "langue",
            "langues parlees",
            "اللغة",
            "اللغات",
        ),
    ),
    Field(
        "interpreter_needed",
        _model_label(Client, "interpreter_needed"),
        CLIENT,
        "bool",
        (
            "interpreter",
            "interpreter needed",
            "needs interpreter",
            "interprete",
            "besoin d interprete",
            "مترجم",
            "يحتاج مترجم",
        ),
    ),
    Field(
        "interpreter_language",
        _model_label(Client, "interpreter_language"),
        CLIENT,
        "language",
        ("interpreter language", "langue de l interprete", "لغة المترجم"),
    ),
    Field(
        "phone",
        _model_label(Client, "phone"),
        CLIENT,
        "text",
        (
            "phone",
            "telephone",
            "mobile",
            "phone number",
            "tel",
            "portable",
            "الهاتف",
            "رقم الهاتف",
            "الجوال",
        ),
    ),
    Field(
        "email",
        _model_label(Client, "email"),
        CLIENT,
        "text",
        ("email", "e mail", "mail", "courriel", "البريد الالكتروني"),
    ),
    Field(
        "address",
        _model_label(Client, "address"),
        CLIENT,
        "text",
        ("address", "adresse", "العنوان"),
    ),
    Field(
        "city", _model_label(Client, "city"), CLIENT, "text", ("city", "town", "ville", "المدينة")
    ),
    Field(
        "legal_status",
        _model_label(Client, "legal_status"),
        CLIENT,
        "choice",
        (
            "legal status",
            "residence status",
            "status",
            "statut",
            "statut juridique",
            "statut legal",
            "الوضع القانوني",
        ),
        _choices(LegalStatus),
    ),
    Field(
        "legal_status_note",
        _model_label(Client, "legal_status_note"),
        CLIENT,
        "text",
        ("legal status note", "legal note", "note sur le statut", "ملاحظة الوضع القانوني"),
    ),
    Field(
        "family_situation",
        _model_label(Client, "family_situation"),
        CLIENT,
        "text",
        ("family", "family situation", "situation familiale", "الوضع العائلي"),
    ),
    Field(
        "dependants",
        _model_label(Client, "dependants"),
        CLIENT,
        "int",
        (
            "dependants",
            "dependents",
            "number of dependants",
            "personnes a charge",
            "المعالون",
            "عدد المعالين",
        ),
    ),
    Field(
        "education",
        _model_label(Client, "education"),
        CLIENT,
        "text",
        ("education", "schooling", "formation", "etudes", "التعليم"),
    ),
    Field(
        "employment",
        _model_label(Client, "employment"),
        CLIENT,
        "text",
        ("employment", "work", "skills", "occupation", "emploi", "profession", "العمل", "المهنة"),
    ),
    Field(
        "case_type",
        gettext_lazy("Case type"),
        CASE,
        "choice",
        (
            "case type",
            "type of case",
            "need",
            "service needed",
            "type de dossier",
            "type de cas",
            "besoin",
            "نوع الحالة",
            "نوع الملف",
            "الاحتياج",
        ),
        _choices(Case.Type),
    ),
    Field(
        "case_risk_level",
        gettext_lazy("Case risk level"),
        CASE,
        "choice",
        ("risk", "risk level", "risque", "niveau de risque", "مستوى الخطر", "الخطورة"),
        _choices(Case.Risk),
    ),
    Field(
        "case_summary",
        gettext_lazy("Case summary"),
        CASE,
        "text",
        ("summary", "case summary", "resume", "resume du dossier", "ملخص", "ملخص الحالة"),
    ),
    Field(
        "case_assigned_to",
        gettext_lazy("Case assigned to (email)"),
        CASE,
        "email",
        (
            "caseworker",
            "case worker",
            "assigned to",
            "caseworker email",
            "travailleur social",
            "referent",
            "assigne a",
            "الاخصائي",
            "المسؤول عن الحالة",
        ),
    ),
    Field(
        "case_opened_on",
        gettext_lazy("Case opened on"),
        CASE,
        "date",
        (
            "opened",
            "opened on",
            "date opened",
            "opening date",
            "registration date",
            "ouvert le",
            "date d ouverture",
            "تاريخ الفتح",
            "تاريخ التسجيل",
        ),
    ),
    Field(
        "document_type",
        gettext_lazy("Identity document type"),
        DOCUMENT,
        "choice",
        (
            "document type",
            "id type",
            "type of document",
            "type de document",
            "type de piece",
            "piece d identite",
            "نوع الوثيقة",
            "نوع الهوية",
        ),
        _choices(IdentityDocument.Type),
    ),
    Field(
        "document_number",
        gettext_lazy("Identity document number"),
        DOCUMENT,
        "text",
        (
            "document number",
            "id number",
            "passport number",
            "passport",
            "document no",
            "numero de document",
            "numero de piece",
            "numero du passeport",
            "رقم الوثيقة",
            "رقم جواز السفر",
            "رقم الهوية",
        ),
    ),
    Field(
        "document_issuing_country",
        gettext_lazy("Identity document issued by (country)"),
        DOCUMENT,
        "country",
        ("issuing country", "issued by", "country of issue", "pays de delivrance", "بلد الاصدار"),
    ),
    Field(
        "document_expires_on",
        gettext_lazy("Identity document expires on"),
        DOCUMENT,
        "date",
        (
            "expiry",
            "expires",
            "expiry date",
            "expiration",
            "valid until",
            "date d expiration",
            "expire le",
            "valable jusqu au",
            "تاريخ الانتهاء",
            "تاريخ الصلاحية",
        ),
    ),
    Field(
        "consent_given_on",
        gettext_lazy("Consent given on"),
        CONSENT,
        "date",
        (
            "consent date",
            "consent given",
            "consent given on",
            "date du consentement",
            "تاريخ الموافقة",
        ),
    ),
    Field(
        "consent_method",
        gettext_lazy("Consent given how"),
        CONSENT,
        "choice",
        ("consent method", "consent how", "mode de consentement", "طريقة الموافقة"),
        _choices(Consent.Method),
    ),
    Field(
        "consent_purpose",
        gettext_lazy("Consent purpose"),
        CONSENT,
        "choice",
        ("consent purpose", "consent for", "finalite du consentement", "غرض الموافقة"),
        _choices(Consent.Purpose),
    ),
)
FIELDS_BY_NAME = {field.name: field for field in FIELDS}
CHOICE_KINDS = ("choice", "countries", "country", "languages", "language")


def header_key(text: object) -> str:
    """A header folded for matching: case, accents and Arabic variants away,
    punctuation as spaces, one space between words."""
    folded = normalise(str(text or ""))
    folded = re.sub(r"[\W_]+", " ", folded)
    return " ".join(folded.split())


@cache
def _header_index() -> dict[str, str]:
    index = {}
    for field in FIELDS:
        for header in (field.name, str(field.name).replace("_", " "), *field.headers):
            index.setdefault(header_key(header), field.name)
    return index


def guess_field(header: str) -> str:
    """The field a column's header names, or "" when none is recognised."""
    key = header_key(header)
    if not key:
        return ""
    return _header_index().get(key, "")


def guess_columns(headers: tuple[str, ...] | list[str]) -> dict[str, str]:
    """{header: field} for the headers recognised; each field once (the first
    column that names it)."""
    mapping: dict[str, str] = {}
    taken = set()
    for header in headers:
        field = guess_field(header)
        if header and field and field not in taken:
            mapping[header] = field
            taken.add(field)
    return mapping


# --- Values of choice fields -------------------------------------------------------------

_SEX_WORDS = {
    Sex.MALE: (
        "m",
        "male",
        "man",
        "boy",
        "h",
        "homme",
        "masculin",
        "garcon",
        "ذكر",
        "رجل",
        "чоловік",
    ),
    Sex.FEMALE: (
        "f",
        "female",
        "woman",
        "girl",
        "femme",
        "feminin",
        "fille",
        "انثى",
        "امراه",
        "жінка",
    ),
    Sex.OTHER: ("x", "other", "intersex", "autre", "اخر"),
    Sex.UNKNOWN: ("?", "unknown", "not stated", "inconnu", "non precise", "غير معروف"),
}
_CASE_TYPE_WORDS = {
    Case.Type.ASYLUM_LEGAL: ("legal", "asylum", "juridique", "asile", "قانوني", "لجوء"),
    Case.Type.HOUSING: ("housing", "shelter", "accommodation", "logement", "hebergement", "سكن"),
    Case.Type.HEALTH: ("health", "medical", "sante", "medical", "صحة", "صحي"),
    Case.Type.EMPLOYMENT: ("employment", "work", "job", "emploi", "travail", "عمل", "توظيف"),
    Case.Type.EDUCATION: ("education", "school", "ecole", "scolarite", "تعليم"),
    Case.Type.LANGUAGE: ("language", "language course", "langue", "cours de langue", "لغة"),
    Case.Type.FAMILY_REUNIFICATION: ("family reunification", "regroupement familial", "لم الشمل"),
    Case.Type.CHILD_PROTECTION: ("child protection", "protection de l enfance", "حماية الطفل"),
    Case.Type.GBV: ("gbv", "vbg", "gender based violence", "violence basee sur le genre"),
    Case.Type.SOCIAL_SUPPORT: ("social", "social support", "accompagnement social", "دعم اجتماعي"),
}
_BOOL_WORDS = {
    True: ("yes", "y", "true", "1", "x", "oui", "o", "vrai", "نعم", "так", "да", "بله"),
    False: ("no", "n", "false", "0", "non", "faux", "لا", "ні", "нет", "خیر", "نه"),
}
# Languages Django does not describe, but many clients speak.
_EXTRA_LANGUAGES = {
    "ti": ("Tigrinya", "tigrigna", "ትግርኛ"),
    "am": ("Amharic", "amharique", "አማርኛ"),
    "ps": ("Pashto", "pachto", "پښتو"),
    "prs": ("Dari", "دری"),
    "so": ("Somali", "somalien", "Soomaali"),
    "ku": ("Kurdish", "kurde", "Kurdî", "كردي"),
    "kmr": ("Kurmanji",),
    "ha": ("Hausa", "haoussa"),
    "ln": ("Lingala",),
    "wo": ("Wolof",),
    "bm": ("Bambara",),
    "ff": ("Fula", "peul", "Fulfulde"),
    "tir": ("tigrinya",),
}
LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}$")


def _fold(value: object) -> str:
    return header_key(value)


@cache
def _country_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for language in ("en", "fr", "ar"):
        with translation.override(language):
            for code, name in countries:
                index.setdefault(_fold(name), code)
    for code, _name in countries:
        index.setdefault(_fold(code), code)
        alpha3 = countries.alpha3(code)
        if alpha3:
            index.setdefault(_fold(alpha3), code)
    # Common short forms that differ from the standard's names.
    for name, code in (
        ("syria", "SY"),
        ("syrie", "SY"),
        ("سوريا", "SY"),
        ("سورية", "SY"),
        ("iran", "IR"),
        ("ایران", "IR"),
        ("afghanistan", "AF"),
        ("افغانستان", "AF"),
        ("russia", "RU"),
        ("russie", "RU"),
        ("turkey", "TR"),
        ("turkiye", "TR"),
        ("congo", "CD"),
        ("drc", "CD"),
        ("rdc", "CD"),
        ("palestine", "PS"),
        ("فلسطين", "PS"),
        ("ukraine", "UA"),
        ("україна", "UA"),
        ("eritrea", "ER"),
        ("erythree", "ER"),
        ("ارتريا", "ER"),
        ("ethiopia", "ET"),
        ("ethiopie", "ET"),
        ("sudan", "SD"),
        ("soudan", "SD"),
        ("السودان", "SD"),
        ("iraq", "IQ"),
        ("irak", "IQ"),
        ("العراق", "IQ"),
        ("stateless", ""),
    ):
        if code:
            index[_fold(name)] = code
    return index


@cache
def _language_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for code, info in LANG_INFO.items():
        if "-" in code or not LANGUAGE_CODE.match(code):
            continue
        for name in (code, info.get("name", ""), info.get("name_local", "")):
            if name:
                index.setdefault(_fold(name), code)
    for code, names in _EXTRA_LANGUAGES.items():
        for name in (code, *names):
            index.setdefault(_fold(name), code)
    for language in ("fr", "ar"):
        with translation.override(language):
            for code, info in LANG_INFO.items():
                if "-" not in code and LANGUAGE_CODE.match(code) and info.get("name"):
                    index.setdefault(_fold(_(info["name"])), code)
    return index


@cache
def _choice_index(field_name: str) -> dict[str, str]:
    field = FIELDS_BY_NAME[field_name]
    index: dict[str, str] = {}
    for language in ("en", "fr", "ar", "fa", "uk"):
        with translation.override(language):
            for value, label in field.choices():
                index.setdefault(_fold(label), value)
    for value, _label in field.choices():
        index.setdefault(_fold(value), value)
        index.setdefault(_fold(value.replace("_", " ")), value)
    words = {"sex": _SEX_WORDS, "case_type": _CASE_TYPE_WORDS}.get(field_name, {})
    for value, aliases in words.items():
        for alias in aliases:
            index.setdefault(_fold(alias), str(value))
    return index


def guess_value(field_name: str, text: str) -> str:
    """The code a choice field's cell most likely means ("" when unsure)."""
    kind = FIELDS_BY_NAME[field_name].kind
    key = _fold(text)
    if not key:
        return ""
    if kind in ("countries", "country"):
        return _country_index().get(key, "")
    if kind in ("languages", "language"):
        return _language_index().get(key, "")
    return _choice_index(field_name).get(key, "")


def value_options(field_name: str) -> list[tuple[str, str]]:
    """(code, label) a choice field's cells may be mapped to, for the mapping page."""
    field = FIELDS_BY_NAME[field_name]
    if field.kind in ("countries", "country"):
        return [(code, str(name)) for code, name in countries]
    if field.kind in ("languages", "language"):
        seen = {}
        for code, info in LANG_INFO.items():
            if "-" not in code and LANGUAGE_CODE.match(code) and info.get("name"):
                seen.setdefault(code, _(info["name"]))
        for code, names in _EXTRA_LANGUAGES.items():
            seen.setdefault(code, names[0])
        return sorted(seen.items(), key=lambda item: item[1])
    return field.choices()


# --- Cells to values ---------------------------------------------------------------------


class CellError(ValueError):
    """A cell that cannot be read as its field's value: a code and a message
    naming no value."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def as_text(value: object) -> str:
    """A cell as text: numbers without a spurious ``.0`` (a phone number or a
    reference read as a number), dates in ISO form. Text stays exactly as
    written, a leading ``=`` included (it is never a formula here)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value).strip()


_DATE_PATTERNS = (
    (re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?$"), "ymd"),
    (re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"), "ymd"),
    (re.compile(r"^(\d{1,2})[./-](\d{1,2})[./-](\d{4})$"), "dmy"),
)
_YEAR_ONLY = re.compile(r"^(\d{4})$")


def as_date(value: object, *, day_first: bool = True) -> tuple[datetime.date, bool]:
    """(date, estimated): a date cell, or text as YYYY-MM-DD, DD/MM/YYYY,
    DD.MM.YYYY (MM/DD/YYYY when not ``day_first``) or a year alone (1 January,
    estimated)."""
    if isinstance(value, datetime.datetime):
        return value.date(), False
    if isinstance(value, datetime.date):
        return value, False
    text = as_text(value)
    # Digits in Arabic-Indic or Persian forms read as their values.
    text = text.translate(_DIGITS)
    year_only = _YEAR_ONLY.match(text)
    if year_only:
        year = int(year_only.group(1))
        if 1900 <= year <= 2100:
            return datetime.date(year, 1, 1), True
    for pattern, order in _DATE_PATTERNS:
        match = pattern.match(text)
        if not match:
            continue
        first, second, third = (int(part) for part in match.groups())
        if order == "ymd":
            year, month, day = first, second, third
        elif day_first:
            day, month, year = first, second, third
        else:
            month, day, year = first, second, third
        try:
            return datetime.date(year, month, day), False
        except ValueError:
            break
    raise CellError("invalid_date", _("Not a date: write it as 2024-03-31 or 31/03/2024."))


_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")


def as_bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    key = _fold(as_text(value))
    for result, words in _BOOL_WORDS.items():
        if key in {_fold(word) for word in words}:
            return result
    raise CellError("invalid_boolean", _("Write yes or no."))


def as_int(value: object) -> int:
    if isinstance(value, bool):
        raise CellError("invalid_number", _("Write a whole number."))
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    try:
        number = Decimal(as_text(value).translate(_DIGITS))
        # Finite and of a sensible size ("1e999999999" would be a huge integer).
        if not number.is_finite() or number.adjusted() > 9:
            raise InvalidOperation
        whole = number == number.to_integral_value()
    except ArithmeticError:
        raise CellError("invalid_number", _("Write a whole number.")) from None
    if not whole:
        raise CellError("invalid_number", _("Write a whole number."))
    return int(number)


_LIST_SEPARATORS = re.compile(r"\s*[,;/|+،؛]\s*|\s+and\s+|\s+et\s+|\s+و\s*")


def choice_value(field_name: str, value: object, chosen: dict[str, str]) -> str:
    """A choice cell as its code: the user's mapping for the cell's text
    first, then the guess. CellError when neither knows it."""
    text = as_text(value)
    code = chosen.get(text)
    if code is None:
        code = chosen.get(_fold(text))
    if code is None:
        code = guess_value(field_name, text)
    if not code:
        raise CellError(
            "unknown_value",
            _("This value is not one Sanad knows: choose what it means on the mapping page."),
        )
    return code


def choice_list(field_name: str, value: object, chosen: dict[str, str]) -> list[str]:
    """A cell naming several choices (``Syria, Lebanon``; ``ar / fr``) as codes."""
    text = as_text(value)
    if text in chosen or _fold(text) in chosen or guess_value(field_name, text):
        return [choice_value(field_name, text, chosen)]
    codes = []
    for part in _LIST_SEPARATORS.split(text):
        if part.strip():
            code = choice_value(field_name, part, chosen)
            if code not in codes:
                codes.append(code)
    return codes


def chosen_code(text: str, chosen: dict[str, str]) -> str:
    """The code the user chose for a cell's text ("" when none)."""
    return chosen.get(text) or chosen.get(_fold(text)) or ""


def texts_of(field_name: str, value: object, chosen: dict[str, str]) -> list[str]:
    """The texts a choice cell is read as: the whole cell, or for a list field
    whose whole text is not known, each of its parts (as ``choice_list``)."""
    text = as_text(value)
    if FIELDS_BY_NAME[field_name].kind not in ("countries", "languages"):
        return [text]
    if chosen_code(text, chosen) or guess_value(field_name, text):
        return [text]
    return [part.strip() for part in _LIST_SEPARATORS.split(text) if part and part.strip()]
