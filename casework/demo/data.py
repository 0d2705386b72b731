"""The demo people (names in Arabic, Farsi, Tigrinya, Ukrainian and Latin
script), their legal status and background, notes and follow-ups to write,
and the smallest real files to upload."""

# (name as written, Latin, sex, date of birth, nationalities, languages)
PEOPLE = [
    ("محمد الحسن", "Mohammed al-Hassan", "male", "1988-03-14", ["SY"], ["ar"]),
    ("فاطمة الزهراء", "Fatima al-Zahraa", "female", "1992-07-01", ["SY"], ["ar"]),
    ("أحمد يوسف", "Ahmed Youssef", "male", "1979-11-23", ["IQ"], ["ar", "ku"]),
    ("خالد العمر", "Khaled al-Omar", "male", "2001-01-09", ["SY"], ["ar"]),
    ("آمنة إبراهيم", "Amina Ibrahim", "female", "1995-05-30", ["SD"], ["ar"]),
    ("يوسف عبد الله", "Yusuf Abdullah", "male", "2007-02-17", ["SD"], ["ar"]),
    ("مريم صالح", "Maryam Saleh", "female", "1985-09-05", ["YE"], ["ar"]),
    ("عمر حسين", "Omar Hussein", "male", "1990-12-12", ["IQ"], ["ar"]),
    ("ليلى نصر", "Layla Nasr", "female", "1998-04-21", ["LB"], ["ar", "fr"]),
    ("حسن جميل", "Hassan Jamil", "male", "1975-08-08", ["PS"], ["ar"]),
    ("زينب علي", "Zainab Ali", "female", "2004-06-19", ["IQ"], ["ar"]),
    ("سارا محمدی", "Sara Mohammadi", "female", "1996-10-02", ["AF"], ["fa"]),
    ("علی رضایی", "Ali Rezaei", "male", "2006-03-03", ["AF"], ["fa", "ps"]),
    ("گلنار احمدی", "Golnar Ahmadi", "female", "1989-01-27", ["IR"], ["fa"]),
    ("مهدی حسینی", "Mehdi Hosseini", "male", "1983-12-30", ["AF"], ["fa"]),
    ("فرشته کریمی", "Fereshteh Karimi", "female", "2000-08-15", ["AF"], ["fa"]),
    ("ሰላም ተስፋይ", "Selam Tesfay", "female", "1997-02-11", ["ER"], ["ti"]),
    ("ዳዊት ገብረመድህን", "Dawit Gebremedhin", "male", "1993-06-06", ["ER"], ["ti", "am"]),
    ("ሳባ ሃይለ", "Saba Haile", "female", "2005-11-01", ["ER"], ["ti"]),
    ("ዮናስ ብርሃነ", "Yonas Berhane", "male", "1987-04-04", ["ER"], ["ti"]),
    ("ሄለን ኪዳነ", "Helen Kidane", "female", "1991-09-09", ["ET"], ["ti", "am"]),
    ("Олександр Коваленко", "Oleksandr Kovalenko", "male", "1980-05-18", ["UA"], ["uk"]),
    ("Оксана Шевченко", "Oksana Shevchenko", "female", "1986-03-08", ["UA"], ["uk"]),
    ("Дмитро Бондаренко", "Dmytro Bondarenko", "male", "2008-07-20", ["UA"], ["uk", "ru"]),
    ("Марія Ткаченко", "Mariia Tkachenko", "female", "1999-12-24", ["UA"], ["uk"]),
    ("Ірина Мельник", "Iryna Melnyk", "female", "1972-10-10", ["UA"], ["uk"]),
    ("Aminata Diallo", "", "female", "1994-01-15", ["GN"], ["fr", "ff"]),
    ("Mamadou Bah", "", "male", "2003-03-25", ["GN"], ["fr", "ff"]),
    ("Fatoumata Camara", "", "female", "1990-11-11", ["ML"], ["fr", "bm"]),
    ("Ibrahima Sow", "", "male", "1984-02-29", ["SN"], ["fr", "wo"]),
    ("Blessing Okafor", "", "female", "1998-08-08", ["NG"], ["en", "ig"]),
    ("Chinedu Eze", "", "male", "1995-05-05", ["NG"], ["en"]),
    ("Abdirahman Warsame", "", "male", "2006-09-13", ["SO"], ["so"]),
    ("Hodan Farah", "", "female", "1989-06-21", ["SO"], ["so", "ar"]),
    ("José Ramírez", "", "male", "1977-04-30", ["VE"], ["es"]),
    ("Ana Lucía Gómez", "", "female", "2001-12-05", ["CO"], ["es"]),
    ("Nguyen Thi Lan", "", "female", "1993-03-17", ["VN"], ["vi"]),
    ("Bashir Rahimi", "", "male", "1999-07-07", ["AF"], ["ps", "fa"]),
]

# Each person's legal status in Italy, with details for some (by name as written).
LEGAL_STATUSES = {
    "محمد الحسن": (
        "refugee",
        "Refugee status recognised; five-year residence permit for asylum.",
    ),
    "فاطمة الزهراء": (
        "refugee",
        "Recognised together with her husband; permit renewal due in spring.",
    ),
    "أحمد يوسف": (
        "subsidiary_protection",
        "Granted by the Territorial Commission; wants to convert the permit to a work permit.",
    ),
    "خالد العمر": ("refugee", ""),
    "آمنة إبراهيم": (
        "asylum_seeker",
        "Interview at the Territorial Commission held; waiting for the decision.",
    ),
    "يوسف عبد الله": ("asylum_seeker", "Claim lodged at the Questura; interview date not yet set."),
    "مريم صالح": (
        "humanitarian",
        "Special protection permit after the Commission's decision; renewable for two years.",
    ),
    "عمر حسين": (
        "rejected",
        "Claim rejected by the Territorial Commission; appeal lodged at the Turin court.",
    ),
    "ليلى نصر": ("resident", "Study permit for the University of Turin, renewed every year."),
    "حسن جميل": (
        "stateless",
        "Palestinian refugee registered with UNRWA; statelessness determination requested.",
    ),
    "زينب علي": ("refugee", "Status through her father's recognition."),
    "سارا محمدی": ("refugee", "Recognised after the evacuation from Kabul."),
    "علی رضایی": ("asylum_seeker", "Arrived as a minor; claim pending, legal aid lawyer assigned."),
    "گلنار احمدی": ("asylum_seeker", ""),
    "مهدی حسینی": ("subsidiary_protection", ""),
    "فرشته کریمی": ("refugee", ""),
    "ሰላም ተስፋይ": ("refugee", "Recognised through the relocation programme."),
    "ዳዊት ገብረመድህን": (
        "asylum_seeker",
        "Dublin procedure closed; the claim is now examined in Italy.",
    ),
    "ሳባ ሃይለ": ("unknown", "Arrived recently; no document seen yet."),
    "ዮናስ ብርሃነ": ("refugee", ""),
    "ሄለን ኪዳነ": ("asylum_seeker", "Second interview requested by the Commission."),
    "Олександр Коваленко": (
        "temporary_protection",
        "Temporary protection permit, extended with the EU decision.",
    ),
    "Оксана Шевченко": ("temporary_protection", ""),
    "Дмитро Бондаренко": (
        "temporary_protection",
        "Permit in his own name since he turned 18.",
    ),
    "Марія Ткаченко": ("temporary_protection", ""),
    "Ірина Мельник": ("temporary_protection", "Wants to convert the permit to a work permit."),
    "Aminata Diallo": ("asylum_seeker", "Interview at the Territorial Commission next month."),
    "Mamadou Bah": (
        "rejected",
        "Appeal rejected; a subsequent application is being considered with the lawyer.",
    ),
    "Fatoumata Camara": ("humanitarian", ""),
    "Ibrahima Sow": (
        "undocumented",
        "Permit expired two years ago; ways to regularise being checked.",
    ),
    "Blessing Okafor": ("humanitarian", "Renewal application submitted to the Questura."),
    "Chinedu Eze": ("rejected", "Appeal pending at the Turin court."),
    "Abdirahman Warsame": ("subsidiary_protection", ""),
    "Hodan Farah": ("refugee", ""),
    "José Ramírez": ("asylum_seeker", "Claim lodged; waiting for the interview date."),
    "Ana Lucía Gómez": ("other", "Holds a permit of Spain; moving to Italy still to be checked."),
    "Nguyen Thi Lan": ("resident", "Residence card as the family member of an EU citizen."),
    "Bashir Rahimi": (
        "asylum_seeker",
        "Subsequent application after a first rejection; lawyer from the legal clinic.",
    ),
}

# Family, education and work for several people: (family situation, dependants,
# education, work and skills).
BACKGROUNDS = {
    "محمد الحسن": (
        "Married; his wife and three children live with him in Turin. His mother is in Homs.",
        4,
        "Secondary school in Aleppo; two years of civil engineering.",
        "Electrician in Syria; now a warehouse job on a fixed-term contract.",
    ),
    "فاطمة الزهراء": (
        "Lives with her husband and two children; her parents are in a camp in Lebanon.",
        2,
        "Primary teacher's diploma (Damascus).",
        "Not working; attends the Italian A2 course.",
    ),
    "آمنة إبراهيم": (
        "Single; one daughter, born in Italy.",
        1,
        "Finished secondary school in Khartoum.",
        "Cleaning jobs on and off; looking for steady work.",
    ),
    "عمر حسين": (
        "Single; sends money to his parents in Mosul.",
        0,
        "Left school at 14.",
        "Builder and tiler; forklift licence in progress.",
    ),
    "سارا محمدی": (
        "Lives with her mother and her younger brother.",
        2,
        "Degree in midwifery (Kabul University); recognition of the degree requested.",
        "Cultural mediator, on call.",
    ),
    "مهدی حسینی": (
        "His wife and four children are in Iran; family reunification requested.",
        5,
        "No formal schooling; reads and writes Farsi.",
        "Tailor; works in a small workshop.",
    ),
    "ሰላም ተስፋይ": (
        "Single.",
        0,
        "Secondary school in Asmara; Italian B1 certificate.",
        "Care assistant course (OSS) in progress.",
    ),
    "Олександр Коваленко": (
        "His wife and daughter are in Turin; his son is in Ukraine.",
        2,
        "Degree in mechanical engineering (Kharkiv).",
        "Engineer in Ukraine; now a driver for a delivery firm.",
    ),
    "Оксана Шевченко": (
        "Two children at school in Turin; her husband is in Ukraine.",
        2,
        "Accountancy college.",
        "Part-time in a bakery; looking for work in accounting.",
    ),
    "Ірина Мельник": (
        "Widow; lives alone. Her daughter lives in Poland.",
        0,
        "Secondary school teacher of Ukrainian.",
        "Teaches Ukrainian on Saturdays at a community school.",
    ),
    "Aminata Diallo": (
        "Two children with her in the reception centre.",
        2,
        "A few years of primary school; literacy course at the CPIA.",
        "Hair braiding; wants to train as a hairdresser.",
    ),
    "Ibrahima Sow": (
        "Married; his wife and three children are in Dakar.",
        3,
        "Koranic school; speaks some French.",
        "Street vendor; farm work in the summer.",
    ),
    "José Ramírez": (
        "Lives with his partner; his grown-up son is in Bogotá.",
        None,
        "Degree in accountancy (Caracas).",
        "Looking for work; volunteers at the food bank.",
    ),
    "Ana Lucía Gómez": (
        "Single; lives with a cousin.",
        0,
        "Nursing studies, not finished.",
        "Domestic worker.",
    ),
}


def person_sections(name: str) -> dict:
    """The legal status, family, education and work fields of a demo person."""
    legal_status, legal_status_note = LEGAL_STATUSES[name]
    data = {"legal_status": legal_status, "legal_status_note": legal_status_note}
    if name in BACKGROUNDS:
        family_situation, dependants, education, employment = BACKGROUNDS[name]
        data.update(
            family_situation=family_situation,
            dependants=dependants,
            education=education,
            employment=employment,
        )
    return data


# A likely duplicate of the first person, registered by another caseworker
# with a different spelling and a slightly different estimated birth date.
DUPLICATE = ("مُحَمَّد الحسن", "Muhammad Al Hassan", "male", "1988-09-01", ["SY"], ["ar"])

NOTES = [
    ("note", "First interview held with an interpreter. Documents reviewed."),
    ("call", "Called about the appointment; confirmed for next week."),
    ("meeting", "Met with the housing office together with the client."),
    ("home_visit", "Home visit: the flat is overcrowded, two families share one room."),
]
FOLLOW_UPS = [
    "Call the legal aid office about the hearing date",
    "Check the residence permit renewal",
    "Book an interpreter for the next appointment",
    "Send the housing application",
    "Follow up on school enrolment",
]

# Smallest files whose bytes are what they claim (the upload sniffs content).
PDF_BYTES = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
PNG_BYTES = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d4944415478da63f8cfc0f01f0005000201e2a0b4f40000000049454e44ae426082"
)
