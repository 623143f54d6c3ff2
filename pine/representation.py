"""Output serializers that give exactly what REST framework's give, in a fraction of the time.

REST framework's ``Serializer.to_representation`` spends most of a list response's time on
bookkeeping, not on the values: for every field of every row it walks ``_readable_fields``, calls
``field.get_attribute``, which calls ``fields.get_attribute``, which checks the value with
``isinstance(..., Mapping)`` and ``is_simple_callable`` (``inspect``), then calls the field's
``to_representation``. A submission list of 50 rows with their changes is about 4,000 such fields:
most of the API's CPU on that list (bench/web.py).

:class:`OutputSerializer` compiles each serializer's readable fields once (a serializer instance
serves every row of a page) and then, for each row, reads each value directly. Whenever a value is
not a plain one (a source that raised, a callable, a mapping that is not a ``dict``, a related
field), that field goes the framework's own way, so the output is the framework's in every case:
``tests/pine/test_representation.py`` compares the two on every output serializer that uses it.
Fields, the OpenAPI schema and input validation are REST framework's, untouched.
"""

from collections.abc import Mapping
from contextvars import ContextVar
from datetime import datetime

from django.conf import settings
from django.utils import timezone
from rest_framework import ISO_8601, fields, relations, serializers
from rest_framework.fields import SkipField
from rest_framework.settings import api_settings

_SLOW = object()  # "read this value the framework's way"
_mapping_types: dict[type, bool] = {}


def _is_other_mapping(kind: type) -> bool:
    """A mapping other than a plain dict (the framework reads those by key, as it does dicts)."""
    known = _mapping_types.get(kind)
    if known is None:
        known = _mapping_types[kind] = issubclass(kind, Mapping)
    return known


def _read(instance, attrs):
    """The value at ``attrs``, as ``rest_framework.fields.get_attribute`` finds it, or ``_SLOW``
    where that function would do more than read it (an exception, a callable, another mapping)."""
    value = instance
    try:
        for attr in attrs:
            kind = type(value)
            if kind is dict:
                value = value[attr]
            elif _is_other_mapping(kind):
                return _SLOW
            else:
                value = getattr(value, attr)
            if callable(value):
                return _SLOW
    except Exception:  # noqa: BLE001 - the framework's way decides what the exception means
        return _SLOW
    return value


# The current time zone, read once for a whole list being represented (see OutputListSerializer)
# instead of once for every date and time in it, as DateTimeField reads it: through asgiref's
# context-local storage, about half of each value's time (bench/web.py).
_list_timezone: ContextVar = ContextVar("pine_list_timezone", default=None)


def _datetime_converter(field):
    """DateTimeField's own representation of an aware datetime (ISO 8601, in the current time
    zone, UTC as "Z"), reading the time zone once per list; a field with a format or time zone of
    its own, and any other value (naive, a string, out of range), or another output format in the
    settings, go the field's own way."""
    if hasattr(field, "format") or hasattr(field, "timezone"):
        return field.to_representation

    def convert(value):
        if not isinstance(value, datetime) or value.utcoffset() is None or not settings.USE_TZ:
            return field.to_representation(value)
        output_format = api_settings.DATETIME_FORMAT
        if output_format is None or output_format.lower() != ISO_8601:
            return field.to_representation(value)
        try:
            text = value.astimezone(_list_timezone.get() or timezone.get_current_timezone()).isoformat()
        except OverflowError:
            return field.to_representation(value)  # the framework's error
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return convert


def _converter(field):
    """A function value -> representation that is the field's own ``to_representation`` for the
    values it is given (not None: None is None, as in the framework)."""
    method = type(field).to_representation
    if method is fields.DateTimeField.to_representation:
        return _datetime_converter(field)
    if method is fields.CharField.to_representation:  # CharField, SlugField, EmailField...
        return str
    if method is fields.IntegerField.to_representation:
        return int
    if method is fields.UUIDField.to_representation and field.uuid_format == "hex_verbose":
        return str
    return field.to_representation


# Fields whose representation of a value depends on nothing but the field's own arguments (not on
# the request in the context, nor on the parent serializer): a serializer made only of these (and of
# output serializers made only of these) reads its fields from one copy made for its class, instead
# of REST framework's deep copy of every declared field for every serializer made (a fifth of a
# list's serializing time).
_CONTEXT_FREE = (
    fields.BooleanField,
    fields.CharField,
    fields.IntegerField,
    fields.FloatField,
    fields.DecimalField,
    fields.UUIDField,
    fields.DateField,
    fields.DateTimeField,
    fields.TimeField,
    fields.DurationField,
    fields.ChoiceField,
    fields.JSONField,
    fields.ReadOnlyField,
)
_CONTEXT_FREE_METHODS = frozenset(kind.to_representation for kind in _CONTEXT_FREE)
_class_plans: dict[type, list | None] = {}


def _context_free(field) -> bool:
    if isinstance(field, serializers.ListSerializer):
        return _context_free(field.child)
    if isinstance(field, OutputSerializer):
        return _class_plan(type(field)) is not None
    if isinstance(field, fields.DictField | fields.ListField):
        return _context_free(field.child)
    # REST framework's own representation of these kinds, not a subclass's own (which may read the
    # request from the context).
    return type(field).to_representation in _CONTEXT_FREE_METHODS


def _build_plan(serializer) -> list[tuple]:
    """(name, attribute, attributes, converter, field) for each readable field; ``attribute`` for a
    source of one attribute, ``attributes`` for a dotted one, neither for the framework's way."""
    plan = []
    for field in serializer._readable_fields:
        simple = not isinstance(field, relations.RelatedField | relations.ManyRelatedField) and field.source != "*"
        attrs = tuple(field.source_attrs) if simple else ()
        one = attrs[0] if len(attrs) == 1 else None
        plan.append((field.field_name, one, attrs if len(attrs) > 1 else None, _converter(field), field))
    return plan


def _class_plan(cls) -> list | None:
    """The plan of one instance of ``cls``, kept for every instance, where its fields are all
    context-free; else None (each instance makes its own)."""
    if cls not in _class_plans:
        _class_plans[cls] = None  # while building (a serializer nested in itself: per instance)
        template = cls()
        if all(_context_free(field) for field in template._readable_fields):
            _class_plans[cls] = _build_plan(template)
    return _class_plans[cls]


class OutputListSerializer(serializers.ListSerializer):
    """``many=True`` of an output serializer: REST framework's list, with the current time zone read
    once for all of its rows (and for the lists nested in them)."""

    def to_representation(self, data):
        if _list_timezone.get() is not None:  # inside an outer list: its time zone
            return super().to_representation(data)
        token = _list_timezone.set(timezone.get_current_timezone())
        try:
            return super().to_representation(data)
        finally:
            _list_timezone.reset(token)


class OutputSerializer(serializers.Serializer):
    """A serializer for responses only (an operation's ``...Out``): REST framework's output, faster.
    Subclass it as ``serializers.Serializer``; nest other ``OutputSerializer`` s in it. (A subclass
    that declares a ``Meta`` of its own keeps ``list_serializer_class`` by inheriting this one's.)"""

    class Meta:
        list_serializer_class = OutputListSerializer

    def _plan(self) -> list[tuple]:
        plan = _class_plans.get(type(self)) or _class_plan(type(self))
        if plan is None:
            plan = self.__dict__.get("_output_plan")
            if plan is None:
                plan = self.__dict__["_output_plan"] = _build_plan(self)
        return plan

    def to_representation(self, instance):
        ret = {}
        kind = type(instance)
        as_dict = kind is dict
        other_mapping = not as_dict and _is_other_mapping(kind)
        for name, attr, attrs, convert, field in self._plan():
            if other_mapping:
                value = _SLOW
            elif attr is not None:
                if as_dict:
                    value = instance.get(attr, _SLOW)
                else:
                    try:
                        value = getattr(instance, attr)
                    except Exception:  # noqa: BLE001 - the framework's way decides what it means
                        value = _SLOW
                if callable(value):
                    value = _SLOW
            elif attrs is not None:
                value = _read(instance, attrs)
            else:
                value = _SLOW
            if value is _SLOW:  # the framework's way: Serializer.to_representation, for one field
                try:
                    value = field.get_attribute(instance)
                except SkipField:
                    continue
                check_for_none = value.pk if isinstance(value, relations.PKOnlyObject) else value
                ret[name] = None if check_for_none is None else field.to_representation(value)
            else:
                ret[name] = None if value is None else convert(value)
        return ret
