# Day-first dates in English too: the same records are read in both languages.
DATE_FORMAT = "d/m/Y"
SHORT_DATE_FORMAT = "d/m/Y"
DATETIME_FORMAT = "d/m/Y H:i"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
DATE_INPUT_FORMATS = ["%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y"]
# What lachan.core.widgets.DateTimeInput shows (dd/mm/yyyy HH:MM, 24 h), and ISO.
DATETIME_INPUT_FORMATS = ["%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%d/%m/%YT%H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M",
                          "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
