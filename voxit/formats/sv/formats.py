# Finland-Swedish writes dates as Finnish does: day.month.year, 24-hour clock.
DATETIME_FORMAT = "j.n.Y H:i:s"
SHORT_DATE_FORMAT = "j.n.Y"
SHORT_DATETIME_FORMAT = "j.n.Y H:i"
