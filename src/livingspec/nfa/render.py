"""Pictures of automata: Graphviz DOT text, and an SVG state diagram drawn here (no graphviz needed).

Edges between the same two states are merged and their symbols shortened to ranges (``a-z``).
The SVG layout puts each state in the column of its breadth-first distance from the start state,
draws accept states as double circles, the start state with an incoming arrow, and self-loops as
small arcs above the state.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from html import escape

from livingspec.nfa.automaton import DFA, NFA, State, sorted_states


def compress_symbols(symbols: Iterable[str]) -> str:
    """``a, b, c, d, @`` -> ``@, a-d``: runs of three or more consecutive characters become ranges."""
    items = sorted(set(symbols))
    singles = sorted(item for item in items if len(item) == 1)
    others = [item for item in items if len(item) != 1]
    parts: list[str] = []
    index = 0
    while index < len(singles):
        end = index
        while end + 1 < len(singles) and ord(singles[end + 1]) == ord(singles[end]) + 1:
            end += 1
        if end - index >= 2:
            parts.append(f"{singles[index]}-{singles[end]}")
        else:
            parts.extend(singles[index : end + 1])
        index = end + 1
    return ", ".join(parts + others)


#: How the symbols on one edge become its label (default: compress_symbols).
Merge = Callable[[list[str]], str]


def merged_edges(automaton: NFA | DFA, merge: Merge | None = None) -> dict[tuple[State, State], str]:
    """(from, to) -> the label of all symbols on that edge (epsilon and anchors labelled apart)."""
    grouped: dict[tuple[State, State], list[str]] = {}
    for source, label, target in automaton.edges():
        grouped.setdefault((source, target), []).append(label)
    result: dict[tuple[State, State], str] = {}
    for pair, labels in grouped.items():
        special = [label for label in labels if label in ("ε", "^", "$")]
        plain = [label for label in labels if label not in ("ε", "^", "$")]
        parts = ([(merge or compress_symbols)(plain)] if plain else []) + special
        result[pair] = ", ".join(parts)
    return result


def _dot_id(state: State) -> str:
    return '"' + str(state).replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_dot(automaton: NFA | DFA, name: str = "automaton", merge: Merge | None = None) -> str:
    """Graphviz DOT text: left to right, double circles for accept states, an arrow into the start state."""
    lines = [
        f"digraph {_dot_id(name)} {{",
        "  rankdir=LR;",
        '  __start [shape=point, label=""];',
    ]
    for state in sorted_states(automaton.states):
        shape = "doublecircle" if state in automaton.accepting else "circle"
        lines.append(f"  {_dot_id(state)} [shape={shape}];")
    lines.append(f"  __start -> {_dot_id(automaton.start)};")
    for (source, target), label in sorted(
        merged_edges(automaton, merge).items(), key=lambda item: (str(item[0][0]), str(item[0][1]))
    ):
        lines.append(f"  {_dot_id(source)} -> {_dot_id(target)} [label={_dot_id(label)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _columns(automaton: NFA | DFA) -> list[list[State]]:
    """Layers left to right: the longest path from the start once loops are cut; unreachable states last.

    A depth-first search from the start marks back edges (those closing a loop); on what is left,
    a DAG, each state's column is one more than its furthest predecessor's.
    """
    successors: dict[State, list[State]] = {}
    for source, _, target in automaton.edges():
        successors.setdefault(source, []).append(target)
    for state, targets in successors.items():
        successors[state] = sorted_states(set(targets))
    order: list[State] = []  # reverse postorder = topological order of the DAG
    back: set[tuple[State, State]] = set()
    colour: dict[State, int] = {automaton.start: 1}  # 1: on the stack, 2: finished
    stack: list[tuple[State, int]] = [(automaton.start, 0)]
    while stack:
        state, index = stack.pop()
        targets = successors.get(state, [])
        if index < len(targets):
            stack.append((state, index + 1))
            target = targets[index]
            if colour.get(target) == 1:
                back.add((state, target))
            elif target not in colour:
                colour[target] = 1
                stack.append((target, 0))
        else:
            colour[state] = 2
            order.append(state)
    depth: dict[State, int] = {state: 0 for state in order}
    for state in reversed(order):
        for target in successors.get(state, []):
            if (state, target) not in back and target != state:
                depth[target] = max(depth[target], depth[state] + 1)
    last = max(depth.values()) + 1
    columns: list[list[State]] = [[] for _ in range(last + 1)]
    for state in sorted_states(automaton.states):
        columns[depth.get(state, last)].append(state)
    return [column for column in columns if column]


def to_svg(automaton: NFA | DFA, title: str = "", merge: Merge | None = None) -> str:
    """A self-contained SVG state diagram of the automaton."""
    radius, column_gap, row_gap, margin = 22, 120, 78, 50
    columns = _columns(automaton)
    tallest = max(len(column) for column in columns)
    width = margin * 2 + column_gap * (len(columns) - 1) + 2 * radius + 40
    height = margin * 2 + row_gap * (tallest - 1) + 2 * radius + 40
    position: dict[State, tuple[float, float]] = {}
    for index, column in enumerate(columns):
        offset = (tallest - len(column)) * row_gap / 2
        for row, state in enumerate(column):
            position[state] = (margin + 40 + index * column_gap, margin + 30 + offset + row * row_gap)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="sans-serif" font-size="12">',
        "<defs><marker id='arrow' viewBox='0 0 10 10' refX='10' refY='5' markerWidth='7' markerHeight='7' "
        "orient='auto-start-reverse'><path d='M 0 0 L 10 5 L 0 10 z' fill='#333'/></marker></defs>",
        '<rect width="100%" height="100%" fill="white"/>',
    ]
    if title:
        out.append(f'<text x="10" y="18" font-weight="bold">{escape(title)}</text>')
    edges = merged_edges(automaton, merge)
    for (source, target), label in edges.items():
        x1, y1 = position[source]
        x2, y2 = position[target]
        colour = "#a33" if label == "ε" else "#333"
        if source == target:  # a loop above the state
            out.append(
                f'<path d="M {x1 - 10:.1f} {y1 - radius + 3:.1f} C {x1 - 30:.1f} {y1 - radius - 40:.1f} '
                f'{x1 + 30:.1f} {y1 - radius - 40:.1f} {x1 + 10:.1f} {y1 - radius + 3:.1f}" fill="none" '
                f'stroke="{colour}" marker-end="url(#arrow)"/>'
            )
            out.append(
                f'<text x="{x1:.1f}" y="{y1 - radius - 34:.1f}" text-anchor="middle" '
                f'fill="{colour}">{escape(label)}</text>'
            )
            continue
        distance = math.hypot(x2 - x1, y2 - y1) or 1.0
        ux, uy = (x2 - x1) / distance, (y2 - y1) / distance
        # bend every edge a little (to the left of its direction) so opposite edges do not overlap
        bend = 18 + (12 if abs(x2 - x1) > column_gap * 1.5 or x2 <= x1 else 0)
        mx, my = (x1 + x2) / 2 - uy * bend, (y1 + y2) / 2 + ux * bend
        sx, sy = x1 + ux * radius, y1 + uy * radius
        ex, ey = x2 - ux * radius, y2 - uy * radius
        out.append(
            f'<path d="M {sx:.1f} {sy:.1f} Q {mx:.1f} {my:.1f} {ex:.1f} {ey:.1f}" fill="none" '
            f'stroke="{colour}" marker-end="url(#arrow)"/>'
        )
        lx, ly = (sx + 2 * mx + ex) / 4, (sy + 2 * my + ey) / 4
        out.append(
            f'<text x="{lx:.1f}" y="{ly - 4:.1f}" text-anchor="middle" fill="{colour}" '
            f'stroke="white" stroke-width="3" paint-order="stroke">{escape(label)}</text>'
        )
    for state, (x, y) in position.items():
        out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius}" fill="#eef3fb" stroke="#333"/>')
        if state in automaton.accepting:
            out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius - 4}" fill="none" stroke="#333"/>')
        name = str(state)
        size = 12 if len(name) <= 4 else max(7, 44 // max(len(name), 1) + 4)
        out.append(f'<text x="{x:.1f}" y="{y + 4:.1f}" text-anchor="middle" font-size="{size}">{escape(name)}</text>')
    sx, sy = position[automaton.start]
    out.append(
        f'<path d="M {sx - radius - 30:.1f} {sy:.1f} L {sx - radius:.1f} {sy:.1f}" '
        'stroke="#333" marker-end="url(#arrow)"/>'
    )
    out.append("</svg>")
    return "\n".join(out) + "\n"
