# The month as a word, so that no reader takes 4.12. for the 12th of April; a 24-hour clock.
DATETIME_FORMAT = "j M Y H:i:s"
SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y H:i"
