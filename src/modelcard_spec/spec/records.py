"""Record classes for the types a validation creates, without the ``dataclasses`` module.

A record declares its fields, in order, in ``__slots__``; ``_defaults`` gives the value of a field
left out and ``_factories`` a function that makes it (a fresh ``dict`` each time, say). It is built
like a dataclass (positional arguments in field order, or by name), compares equal to a record of
its class with equal fields, and has a repr, :meth:`Record.replace` and pickling (a worker process
sends results back). A :class:`Frozen` record cannot be changed after it is built and hashes its
fields (those in ``_unhashed`` left out).

Why not ``dataclasses``: importing it loads ``inspect`` (with ``ast``, ``dis`` and ``tokenize``),
and each class it makes compiles its methods when the module defining it runs. On the 14 classes
of the validation path that was 15-20 ms of the CPU of validating one card, about a sixth of what the
command costs above starting Python and importing its two libraries (docs/benchmarks.md, "The cold
start after the changes of the evening of 2026-12-02"). Modules off that path keep using ``dataclasses``.
"""

from __future__ import annotations

_set = object.__setattr__
_MISSING = object()


class Record:
    """A mutable record (unhashable, as a dataclass with ``eq`` and without ``frozen``)."""

    __slots__ = ()
    _defaults: dict = {}
    _factories: dict = {}
    _fields: tuple = ()  # (name, default, factory) of each field, in order (made per class below)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._fields = tuple((name, cls._defaults.get(name, _MISSING), cls._factories.get(name)) for name in cls.__slots__)

    def __init__(self, *args, **kwargs):
        fields = self._fields
        if len(args) > len(fields):
            raise TypeError(f"{type(self).__name__}() takes {len(fields)} arguments, {len(args)} given")
        for (name, _, _), value in zip(fields, args):
            _set(self, name, value)
        for name, default, factory in fields[len(args):]:
            if name in kwargs:
                _set(self, name, kwargs.pop(name))  # kwargs is this call's own dict
            elif factory is not None:
                _set(self, name, factory())
            elif default is not _MISSING:
                _set(self, name, default)
            else:
                raise TypeError(f"{type(self).__name__}() missing required argument {name!r}")
        for name in kwargs:
            if name in self.__slots__:
                raise TypeError(f"{type(self).__name__}() got multiple values for argument {name!r}")
            raise TypeError(f"{type(self).__name__}() got an unexpected keyword argument {name!r}")

    def _values(self) -> tuple:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __eq__(self, other):
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() == other._values()

    __hash__ = None

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__ if not name.startswith("_"))
        return f"{type(self).__name__}({shown})"

    def __reduce__(self):
        return self.__class__, self._values()

    def replace(self, **changes):
        """A copy with the fields in ``changes`` replaced (``dataclasses.replace``)."""
        values = dict(zip(self.__slots__, self._values()))
        values.update(changes)
        return self.__class__(**values)


class Frozen(Record):
    """A record that cannot be changed once built, hashed by its fields but those in ``_unhashed``."""

    __slots__ = ()
    _unhashed: frozenset = frozenset()

    def __setattr__(self, name, value):
        raise AttributeError(f"cannot assign to field {name!r} of {type(self).__name__}")

    def __delattr__(self, name):
        raise AttributeError(f"cannot delete field {name!r} of {type(self).__name__}")

    def __hash__(self) -> int:
        return hash(tuple(getattr(self, name) for name in self.__slots__ if name not in self._unhashed))
