"""The renderer's records behave as ``@dataclass(frozen=True, slots=True)`` ones (hypothesis).

:class:`~salesfunnel.Style` and the geometry's shapes write their ``__init__``
by hand and take their other methods from
:class:`~salesfunnel.render.frozen.Frozen` (see that module: it saves the
import the cost of compiling them). Each is compared here with the class
``@dataclass(frozen=True, slots=True)`` makes of the same fields: the same
signature and defaults, and on random values the same repr, equality and hash,
``replace``, pickling and ``FrozenInstanceError``.
"""

from __future__ import annotations

import copy
import dataclasses
import inspect
import pickle
from typing import Any

import pytest
from hypothesis import given, settings, strategies as st

from salesfunnel import Style
from salesfunnel.render import frozen, shapes
from salesfunnel.render.shapes import Layer

RECORDS: list[type[Any]] = [
    shapes.Gradient,
    shapes.Ellipse,
    shapes.Side,
    shapes.Line,
    shapes.Rect,
    shapes.HitArea,
    shapes.Text,
    shapes.Shape,
    shapes.Region,
    shapes.LabelNote,
    shapes.Geometry,
    Style,
]


def _reference(cls: type[Any]) -> type[Any]:
    """The class ``@dataclass(frozen=True, slots=True)`` makes of ``cls``'s fields."""
    spec = []
    for f in dataclasses.fields(cls):
        default: Any = {} if f.default is dataclasses.MISSING else {"default": f.default}
        spec.append((f.name, f.type, dataclasses.field(repr=f.repr, **default)))
    own_repr = "__repr__" in cls.__dict__  # Region writes its own short repr
    ref = dataclasses.make_dataclass(cls.__name__, spec, frozen=True, slots=True, repr=not own_repr)
    if own_repr:
        ref.__repr__ = cls.__dict__["__repr__"]
    return ref


# Values of any kind a field may hold (hashable: records are hashed).
values = st.one_of(
    st.floats(allow_nan=False),
    st.integers(-5, 5),
    st.booleans(),
    st.none(),
    st.text(max_size=5),
    st.tuples(st.integers(0, 255), st.integers(0, 255), st.integers(0, 255)),
    st.sampled_from(list(Layer)),
)


@pytest.mark.parametrize("cls", RECORDS, ids=lambda c: c.__name__)
def test_signature_fields_and_defaults_are_the_dataclass_ones(cls: type[Any]) -> None:
    ref = _reference(cls)
    assert dataclasses.is_dataclass(cls)
    assert [f.name for f in dataclasses.fields(cls)] == [f.name for f in dataclasses.fields(ref)]
    assert inspect.signature(cls).parameters == inspect.signature(ref).parameters
    assert cls.__match_args__ == ref.__match_args__
    assert cls.__slots__ == ref.__slots__
    assert issubclass(cls, frozen.Frozen)


@settings(max_examples=50, deadline=None)
@given(data=st.data())
@pytest.mark.parametrize("cls", [c for c in RECORDS if c is not Style], ids=lambda c: c.__name__)
def test_records_behave_as_frozen_dataclasses(cls: type[Any], data: st.DataObject) -> None:
    ref = _reference(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    args = [data.draw(values) for _ in names]
    other = [data.draw(st.sampled_from([a, data.draw(values)])) for a in args]
    ours, theirs = cls(*args), ref(*args)
    ours2, theirs2 = cls(**dict(zip(names, other, strict=True))), ref(*other)
    assert repr(ours) == repr(theirs)
    assert (ours == ours2) == (theirs == theirs2)
    assert (ours != ours2) == (theirs != theirs2)
    assert (hash(ours) == hash(ours2)) == (hash(theirs) == hash(theirs2))
    assert hash(ours) == hash(theirs)
    assert ours == cls(*args)
    assert ours != theirs  # another class: never equal
    assert [getattr(ours, n) for n in names] == args
    name = data.draw(st.sampled_from(names))
    changed = dataclasses.replace(ours, **{name: other[names.index(name)]})
    assert repr(changed) == repr(dataclasses.replace(theirs, **{name: other[names.index(name)]}))
    assert dataclasses.astuple(ours) == dataclasses.astuple(theirs)
    for broken in (lambda: setattr(ours, name, 1), lambda: delattr(ours, name)):
        with pytest.raises(dataclasses.FrozenInstanceError):
            broken()
    with pytest.raises(dataclasses.FrozenInstanceError):
        ours.not_a_field = 1
    for back in (pickle.loads(pickle.dumps(ours)), copy.deepcopy(ours), copy.copy(ours)):
        assert back == ours
        assert type(back) is cls


def test_style_behaves_as_a_frozen_dataclass() -> None:
    """A worked example: Style keeps its checks, defaults, repr, hash and replace."""
    ref = _reference(Style)
    assert repr(Style()) == repr(ref())
    assert hash(Style()) == hash(ref())
    assert Style() == Style()
    assert Style() != Style(light=0.5)
    quiet = dataclasses.replace(Style(), show_outline=False, light=0.5)
    assert (quiet.show_outline, quiet.light, quiet.tilt) == (False, 0.5, 0.16)
    assert repr(quiet) == repr(ref(show_outline=False, light=0.5))
    assert pickle.loads(pickle.dumps(quiet)) == quiet
    with pytest.raises(dataclasses.FrozenInstanceError):
        quiet.light = 0.1  # type: ignore[misc]
    with pytest.raises(ValueError, match=r"Style\.taper"):
        Style(taper=0)
    with pytest.raises(ValueError, match=r"Style\.taper"):
        dataclasses.replace(Style(), taper=0)
    positional = Style((0, 0, 0), (0.1, 0.2))
    assert (positional.background, positional.hues) == ((0, 0, 0), (0.1, 0.2))
