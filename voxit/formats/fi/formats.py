# Day.month.year and a 24-hour clock, as Finnish writes them (Django's fi default spells the month
# out in the genitive and writes "kello").
DATETIME_FORMAT = "j.n.Y H:i:s"
SHORT_DATE_FORMAT = "j.n.Y"
SHORT_DATETIME_FORMAT = "j.n.Y H:i"
