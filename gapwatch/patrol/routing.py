"""Road routing for road-patrol tasks: which free unit reaches a blind spot first, and how.

The site's roads become a directed graph in local metres (lines are split where they cross).
Foot units walk every road and footpath in both directions; vehicles keep to roads (not footpaths)
and respect one-way roads. A point off the network is joined to it at the nearest point of the
nearest usable road, and those legs off the network are walked at `WALK_KMH`. With no usable roads,
or no connection between the two ends, the plan falls back to the straight line at the unit's
speed and says so (`on_roads=False`).

The unit goes to the point of the gap nearest to the roads it can use, so it arrives at the blind
ground by the shortest way; without roads it goes to a point inside the gap.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import networkx as nx
import shapely
from shapely.geometry import LineString, MultiLineString, Point
from shapely.ops import nearest_points, substring

from gapwatch.site.projection import LocalProjection

__all__ = [
    "DEFAULT_SPEED_KMH",
    "WALK_KMH",
    "RoadLine",
    "RoadNetwork",
    "RoutePlan",
    "UnitPosition",
    "rank_units",
]

UnitKind = Literal["foot", "vehicle"]
DEFAULT_SPEED_KMH: dict[str, float] = {"foot": 5.0, "vehicle": 30.0}
WALK_KMH = 5.0
_KEY_DECIMALS = 2  # vertices closer than a centimetre are one junction

Coord = tuple[float, float]


@dataclass(frozen=True)
class RoadLine:
    """A road as metric coordinates."""

    id: str
    kind: Literal["footpath", "road"]
    coords: tuple[Coord, ...]
    oneway: bool = False


@dataclass(frozen=True)
class UnitPosition:
    """A patrol unit in local metres."""

    id: str
    kind: UnitKind
    x: float
    y: float
    speed_kmh: float | None = None
    available: bool = True

    @property
    def speed_ms(self) -> float:
        """Travel speed in metres per second (5 km/h on foot, 30 by vehicle by default)."""
        kmh = self.speed_kmh if self.speed_kmh is not None else DEFAULT_SPEED_KMH[self.kind]
        return kmh / 3.6


@dataclass(frozen=True)
class RoutePlan:
    """How one unit gets to the gap: time, distance, path (lon/lat) and where to stop."""

    unit: str
    kind: UnitKind
    eta_s: float
    distance_m: float
    route: list[Coord]
    target: Coord
    on_roads: bool


@dataclass(frozen=True)
class _Edge:
    coords: tuple[Coord, ...]
    length: float


def _key(c: Coord) -> Coord:
    return (round(c[0], _KEY_DECIMALS), round(c[1], _KEY_DECIMALS))


class _ModeGraph:
    """The graph one kind of unit may use, with an index for snapping points to it."""

    def __init__(self, edges: list[tuple[Coord, Coord, _Edge]]) -> None:
        self.graph: nx.DiGraph[Any] = nx.DiGraph()
        self._lines: list[LineString] = []
        self._ends: list[tuple[Coord, Coord]] = []
        seen: set[tuple[Coord, Coord]] = set()
        for u, v, edge in edges:
            if edge.length <= 0.0:
                continue
            if (u, v) not in seen:
                seen.add((u, v))
                self._lines.append(LineString(edge.coords))
                self._ends.append((u, v))
            current = self.graph.get_edge_data(u, v)
            if current is None or current["edge"].length > edge.length:
                self.graph.add_edge(u, v, weight=edge.length, edge=edge)
        self._tree = shapely.STRtree(self._lines) if self._lines else None
        self.lines: Any = MultiLineString(self._lines) if self._lines else None

    @property
    def empty(self) -> bool:
        """Whether this kind of unit has no usable road."""
        return self._tree is None

    def snap(self, p: Coord) -> tuple[int, float, Coord]:
        """Nearest segment index, distance along it, and the snapped point."""
        assert self._tree is not None
        idx = int(self._tree.nearest(Point(p)))
        line = self._lines[idx]
        along = float(line.project(Point(p)))
        at = line.interpolate(along)
        return idx, along, (float(at.x), float(at.y))

    def path(self, start: Coord, end: Coord) -> tuple[float, list[Coord]] | None:
        """Network distance and path between two off-network points' snaps, or None."""
        return self.routes([start], end)[0]

    def routes(self, starts: Sequence[Coord], end: Coord) -> list[tuple[float, list[Coord]] | None]:
        """For each start, network distance and path to `end` (None when not connected).

        One shortest-path search backwards from `end` serves every start.
        """
        e_idx, e_along, e_pt = self.snap(end)
        e_node = ("__end__", -1)
        g = self.graph
        added: list[Any] = [e_node]
        try:
            self._attach(e_node, e_idx, e_along, outgoing=False)
            s_nodes = []
            for k, start in enumerate(starts):
                s_idx, s_along, _ = self.snap(start)
                s_node = ("__start__", k)
                added.append(s_node)
                s_nodes.append(s_node)
                self._attach(s_node, s_idx, s_along, outgoing=True)
                if s_idx == e_idx and e_along >= s_along:
                    part = substring(self._lines[s_idx], s_along, e_along)
                    coords = tuple((float(x), float(y)) for x, y in part.coords)
                    g.add_edge(s_node, e_node, weight=e_along - s_along, edge=_Edge(coords, 0.0))
            # Start nodes only have outgoing edges, so no route passes through another unit's.
            # Without a target, networkx returns distances and paths to every node.
            found: Any = nx.single_source_dijkstra(g.reverse(copy=False), e_node, weight="weight")
            dist: dict[Any, float] = found[0]
            paths: dict[Any, list[Any]] = found[1]
            out: list[tuple[float, list[Coord]] | None] = []
            for s_node in s_nodes:
                if s_node not in dist:
                    out.append(None)
                    continue
                nodes = list(reversed(paths[s_node]))
                coords_out: list[Coord] = []
                for a, b in itertools.pairwise(nodes):
                    seg = list(g.get_edge_data(a, b)["edge"].coords)
                    coords_out.extend(seg if not coords_out else seg[1:])
                out.append((float(dist[s_node]), coords_out or [e_pt, e_pt]))
            return out
        finally:
            for node in added:
                if g.has_node(node):
                    g.remove_node(node)

    def _attach(self, node: Any, idx: int, along: float, *, outgoing: bool) -> None:
        line = self._lines[idx]
        u, v = self._ends[idx]
        length = float(line.length)
        both = self.graph.has_edge(v, u)
        head = substring(line, 0.0, along)
        tail = substring(line, along, length)

        def coords(geom: Any, reverse: bool) -> tuple[Coord, ...]:
            pts = [(float(x), float(y)) for x, y in geom.coords]
            return tuple(reversed(pts)) if reverse else tuple(pts)

        if outgoing:
            self.graph.add_edge(node, v, weight=length - along, edge=_Edge(coords(tail, False), 0))
            if both:
                self.graph.add_edge(node, u, weight=along, edge=_Edge(coords(head, True), 0))
        else:
            self.graph.add_edge(u, node, weight=along, edge=_Edge(coords(head, False), 0))
            if both:
                self.graph.add_edge(
                    v, node, weight=length - along, edge=_Edge(coords(tail, True), 0)
                )


class RoadNetwork:
    """The site's roads as graphs for foot and vehicle units."""

    def __init__(self, roads: Sequence[RoadLine]) -> None:
        foot: list[tuple[Coord, Coord, _Edge]] = []
        vehicle: list[tuple[Coord, Coord, _Edge]] = []
        usable = [r for r in roads if len(r.coords) >= 2]
        if usable:
            noded = shapely.node(MultiLineString([list(r.coords) for r in usable]))
            originals = [LineString(r.coords) for r in usable]
            tree = shapely.STRtree(originals)
            for piece in noded.geoms:
                if piece.length <= 0.0:
                    continue
                road, forward = _origin(piece, usable, originals, tree)
                pts = tuple((float(x), float(y)) for x, y in piece.coords)
                if not forward:
                    pts = tuple(reversed(pts))
                edge = _Edge(pts, float(piece.length))
                back = _Edge(tuple(reversed(pts)), edge.length)
                u, v = _key(pts[0]), _key(pts[-1])
                foot.append((u, v, edge))
                foot.append((v, u, back))
                if road.kind == "road":
                    vehicle.append((u, v, edge))
                    if not road.oneway:
                        vehicle.append((v, u, back))
        self._modes = {"foot": _ModeGraph(foot), "vehicle": _ModeGraph(vehicle)}

    @classmethod
    def from_site(cls, spec_roads: Iterable[Any], projection: LocalProjection) -> RoadNetwork:
        """Build from the site file's roads (lon/lat) in the site's metric projection."""
        lines = [
            RoadLine(
                id=r.id,
                kind=r.kind,
                coords=tuple(projection.to_metres(lon, lat) for lon, lat in r.line),
                oneway=r.oneway,
            )
            for r in spec_roads
        ]
        return cls(lines)

    def has_roads(self, kind: UnitKind) -> bool:
        """Whether units of `kind` have any usable road."""
        return not self._modes[kind].empty

    def target_for(self, kind: UnitKind, gap: Any) -> Coord:
        """The point of `gap` (metric geometry) a unit of `kind` should go to."""
        mode = self._modes[kind]
        if mode.empty or mode.lines is None:
            p = gap.representative_point()
            return (float(p.x), float(p.y))
        p = nearest_points(gap, mode.lines)[0]
        return (float(p.x), float(p.y))

    def plan(self, unit: UnitPosition, target: Coord) -> tuple[float, float, list[Coord], bool]:
        """Travel time (s), distance (m), metric path and whether roads were used."""
        return self.plan_many([unit], target)[0]

    def plan_many(
        self, units: Sequence[UnitPosition], target: Coord
    ) -> list[tuple[float, float, list[Coord], bool]]:
        """`plan` for several units of any kinds, one shortest-path search per kind."""
        walk = WALK_KMH / 3.6
        out: list[tuple[float, float, list[Coord], bool] | None] = [None] * len(units)
        for kind, mode in self._modes.items():
            picked = [i for i, u in enumerate(units) if u.kind == kind]
            if not picked or mode.empty:
                continue
            found = mode.routes([(units[i].x, units[i].y) for i in picked], target)
            for i, route in zip(picked, found, strict=True):
                if route is None:
                    continue
                unit, (on_net, path) = units[i], route
                start = (unit.x, unit.y)
                first = math.dist(start, path[0])
                last = math.dist(path[-1], target)
                eta = on_net / unit.speed_ms + (first + last) / walk
                out[i] = (eta, on_net + first + last, [start, *path, target], True)
        result = []
        for unit, plan in zip(units, out, strict=True):
            if plan is None:
                start = (unit.x, unit.y)
                straight = math.dist(start, target)
                plan = (straight / unit.speed_ms, straight, [start, target], False)
            result.append(plan)
        return result


def _origin(
    piece: Any, roads: Sequence[RoadLine], originals: list[LineString], tree: Any
) -> tuple[RoadLine, bool]:
    """The road a noded piece came from, and whether it runs the road's way."""
    mid = piece.interpolate(0.5, normalized=True)
    best = min(
        (int(i) for i in tree.query(mid.buffer(0.05))),
        key=lambda i: originals[i].distance(mid),
        default=int(tree.nearest(mid)),
    )
    line = originals[best]
    a = line.project(Point(piece.coords[0]))
    b = line.project(Point(piece.coords[-1]))
    return roads[best], b >= a


def rank_units(
    network: RoadNetwork,
    units: Iterable[UnitPosition],
    gap: Any,
    projection: LocalProjection,
    *,
    exclude: Iterable[str] = (),
) -> list[RoutePlan]:
    """Available units (minus `exclude`) ordered by travel time to `gap` (metric), nearest first."""
    skip = set(exclude)
    chosen = [u for u in units if u.available and u.id not in skip]
    plans: list[RoutePlan] = []
    for kind in ("foot", "vehicle"):
        group = [u for u in chosen if u.kind == kind]
        if not group:
            continue
        target = network.target_for(kind, gap)
        for unit, (eta, distance, path, on_roads) in zip(
            group, network.plan_many(group, target), strict=True
        ):
            plans.append(
                RoutePlan(
                    unit=unit.id,
                    kind=unit.kind,
                    eta_s=eta,
                    distance_m=distance,
                    route=[projection.to_lonlat(x, y) for x, y in _dedupe(path)],
                    target=projection.to_lonlat(*target),
                    on_roads=on_roads,
                )
            )
    plans.sort(key=lambda p: (p.eta_s, p.unit))
    return plans


def _dedupe(path: list[Coord]) -> list[Coord]:
    out: list[Coord] = []
    for c in path:
        if not out or math.dist(out[-1], c) > 1e-6:
            out.append(c)
    return out
