"""Names for the fictional company's people: Polish given names and surnames (a few international), job titles,
and the ASCII folding that turns a name into a uid or a mail local part."""

from __future__ import annotations

import functools
import random
import unicodedata
from collections.abc import Collection


def words(text: str) -> tuple[str, ...]:
    """The words of ``text``."""
    return tuple(text.split())


_MALE = words(
    "Jan Piotr Krzysztof Andrzej Tomasz Paweł Michał Marcin Grzegorz Jakub Adam Łukasz Mateusz Marek "
    "Wojciech Kamil Maciej Rafał Dawid Szymon Bartosz Filip Mikołaj Kacper Wiktor Przemysław Sebastian "
    "Damian Artur Jarosław Zbigniew Bartłomiej Radosław Dominik Hubert Ryszard Stanisław Józef"
)
_FEMALE = words(
    "Anna Maria Katarzyna Małgorzata Agnieszka Barbara Ewa Krystyna Magdalena Joanna Aleksandra Monika "
    "Zofia Natalia Karolina Julia Marta Beata Dorota Paulina Weronika Agata Justyna Iwona Żaneta Jadwiga "
    "Halina Łucja Urszula Gabriela Alicja Oliwia Wiktoria Emilia Zuzanna Jolanta Bożena Grażyna"
)
_GENDERED = words(  # male form; the female form ends in -ska / -cka / -dzka
    "Kowalski Wiśniewski Lewandowski Kamiński Zieliński Szymański Dąbrowski Kozłowski Jankowski "
    "Wojciechowski Kwiatkowski Piotrowski Grabowski Pawłowski Michalski Zalewski Jabłoński Wróblewski "
    "Majewski Olszewski Malinowski Górski Rutkowski Witkowski Baranowski Czarnecki Sadowski Borkowski "
    "Chmielewski Ostrowski Tomaszewski Kalinowski Wasilewski Zawadzki Jasiński Śliwiński Żurawski"
)
_NEUTRAL = words(
    "Nowak Wójcik Kowalczyk Woźniak Mazur Krawczyk Kaczmarek Zając Król Wieczorek Wróbel Stępień Dudek "
    "Adamczyk Pawlak Walczak Sikora Michalak Szewczyk Tomczak Pietrzak Marciniak Żak Gołąb Bąk Kurek "
    "Łuczak Kołodziej Śliwa Ćwik Ślusarczyk Gąsior Bień Sobczak Jaworek"
)
_INTL_FIRST = words(
    "Olena Oleksandr Iryna Maksym Sophie Lukas José Inês Søren Chloé François Åsa Mateo Siobhán Zoë "
    "Noémie Jürgen Björn Aiko Priya"
)
_INTL_LAST = words(
    "Kovalenko Shevchenko Bondarenko Melnyk Müller Schröder Fernández Gonçalves Nielsen Dubois Lefebvre "
    "Lindqvist Núñez O'Connor Nakamura Sharma Øvergaard"
)
TITLES = {
    "Marketing": ("Marketing Specialist", "Social Media Specialist", "Copywriter", "Graphic Designer",
                  "Content Creator", "Performance Marketing Specialist"),
    "E-commerce": ("E-commerce Specialist", "Online Merchandiser", "E-commerce Analyst",
                   "Product Data Specialist"),
    "Customer Care": ("Customer Care Agent", "Senior Customer Care Agent", "Social Care Specialist"),
    "Logistics": ("Warehouse Operator", "Florist", "Dispatch Coordinator", "Courier Coordinator"),
    "Finance": ("Accountant", "Payroll Specialist", "Controller"),
    "IT": ("Developer", "System Administrator", "IT Support Specialist"),
    "Management": ("Office Manager", "Executive Assistant", "HR Business Partner"),
}

_FOLD = str.maketrans({"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "æ": "ae", "ß": "ss", "đ": "d"})


@functools.lru_cache(maxsize=4096)
def fold(text: str) -> str:
    """ASCII-fold a name part for uids and addresses: Żółć -> zolc, O'Connor -> oconnor."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD))
    return "".join(c for c in decomposed.lower() if c.isascii() and c.isalnum())


def _female(surname: str) -> str:
    return surname[:-1] + "a" if surname.endswith("i") else surname


def random_name(rng: random.Random, reserved: Collection[str]) -> tuple[str, str]:
    """A plausible (given name, surname) drawn from ``rng``, never one of the ``reserved`` full names."""
    while True:
        if rng.random() < 0.06:
            given, sn = rng.choice(_INTL_FIRST), rng.choice(_INTL_LAST)
        else:
            female = rng.random() < 0.55
            given = rng.choice(_FEMALE if female else _MALE)
            if rng.random() < 0.55:
                sn = rng.choice(_GENDERED)
                sn = _female(sn) if female else sn
            else:
                sn = rng.choice(_NEUTRAL)
        if f"{given} {sn}" not in reserved:
            return given, sn
