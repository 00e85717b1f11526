"""Overload resolution the way PostgreSQL does it ("Type Conversion" in its manual), cached.

Candidates of the right arity (defaults and VARIADIC included) whose every parameter accepts its
argument by an implicit coercion (pg_cast context 'i', unknown literals, polymorphic parameters)
are viable; an exact match wins, then the candidates with the most exact matches, then for an
unknown literal those taking a string there; a choice still ambiguous has an unknown result. No
viable candidate: the call cannot run. An argument of unknown type (None) fits every parameter.
"""

from __future__ import annotations

from dataclasses import dataclass

from airflow_ai_etl.validation.sql.functions import UNKNOWN, FunctionCatalogue, Signature

Args = tuple[str | None, ...]


@dataclass(frozen=True)
class Resolution:
    """A call's outcome: `possible` False when no overload can take the arguments."""

    possible: bool
    returns: str | None = None


#: (catalogue, name or operator, is operator, argument types) -> resolution; queries repeat calls.
_CACHE: dict[tuple[int, str, bool, Args], Resolution] = {}


def resolve_function(functions: FunctionCatalogue, name: str, args: Args) -> Resolution:
    key = (id(functions), name, False, args)
    if key not in _CACHE:
        signatures = tuple(s for s in functions.signatures(name) if s.args is not None)
        _CACHE[key] = _resolve(functions, signatures, args) if signatures else Resolution(True)
    return _CACHE[key]


def resolve_operator(
    functions: FunctionCatalogue, symbol: str, left: str | None, right: str | None
) -> Resolution:
    key = (id(functions), symbol, True, (left, right))
    if key not in _CACHE:
        candidates = functions.operators.get(symbol, ())
        signatures = tuple(
            Signature(kind="normal", args=(c[0], c[1]), returns=c[2]) for c in candidates if c[0]
        )
        _CACHE[key] = _resolve(functions, signatures, (left, right))
    return _CACHE[key]


def _resolve(functions: FunctionCatalogue, signatures: tuple[Signature, ...], args: Args) -> Resolution:
    fitting = [s for s in signatures if s.accepts_count(len(args))]
    if not fitting:
        return Resolution(not signatures)
    viable = [s for s in fitting if _accepts(functions, s, args)]
    if not viable:
        return Resolution(False)
    if None in args:
        return Resolution(True, _single_return(functions, viable, args))
    exact = [s for s in viable if s.parameters(len(args)) == args]
    if exact:
        return Resolution(True, _returns(functions, exact[0], args))
    best = max(_exact_count(s, args) for s in viable)
    viable = [s for s in viable if _exact_count(s, args) == best]
    for position, arg in enumerate(args):
        if arg == UNKNOWN:  # an unknown literal prefers the string category where one is accepted
            strings = [s for s in viable if functions.category(s.parameters(len(args))[position]) == "S"]
            viable = strings or viable
    return Resolution(True, _single_return(functions, viable, args))


def _accepts(functions: FunctionCatalogue, signature: Signature, args: Args) -> bool:
    parameters = signature.parameters(len(args))
    return all(a is None or functions.coercible(a, p) for a, p in zip(args, parameters, strict=True))


def _exact_count(signature: Signature, args: Args) -> int:
    return sum(a == p for a, p in zip(args, signature.parameters(len(args)), strict=True))


def _single_return(functions: FunctionCatalogue, viable: list[Signature], args: Args) -> str | None:
    returns = {_returns(functions, s, args) for s in viable}
    return returns.pop() if len(returns) == 1 else None


def _returns(functions: FunctionCatalogue, signature: Signature, args: Args) -> str | None:
    returns = signature.returns
    if signature.returns_set:
        return None
    if returns is None or not functions.is_polymorphic(returns):
        return returns
    parameters = signature.parameters(len(args))
    bound = {a for a, p in zip(args, parameters, strict=True) if p == returns and a not in (None, UNKNOWN)}
    return bound.pop() if len(bound) == 1 else None
