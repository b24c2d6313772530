"""Greek and Cyrillic labels.

The bundled DejaVu Sans font draws non-Latin names the same on every machine;
long names wrap, then end in an ellipsis by measured width.
"""

from salesfunnel import Funnel, FunnelChart

greek = Funnel.from_counts(
    {"Κλήσεις": 200, "Συναντήσεις": 80, "Προσφορές": 40, "Πληρωμή": 12}, name="Ελληνικά"
)
russian = Funnel.from_counts(
    {
        "Первый контакт": 200,
        "Встреча с ЛПР": 90,
        "Коммерческое предложение": 35,
        "Договор": 18,
        "Оплата": 12,
    },
    name="Русский",
)
chart = FunnelChart([greek, russian], width=900, height=480, title="Χοάνη · Воронка продаж")
