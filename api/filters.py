from datetime import timezone

import django_filters
from django.core.exceptions import ValidationError
from django_filters import fields


class UtcDateTimeField(fields.IsoDateTimeField):
    """An ISO 8601 date-time, converted to UTC here: PostgreSQL refuses offsets beyond ±15:59,
    which Python accepts, and a time near year 1 or 9999 may not exist in UTC at all."""

    def to_python(self, value):
        value = super().to_python(value)
        if value is None:
            return None
        try:
            return value.astimezone(timezone.utc)
        except OverflowError:
            raise ValidationError("Enter a date and time between the years 1 and 9999 (UTC).", code="invalid")


class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcDateTimeField
