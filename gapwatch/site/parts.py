"""The items of a site file that passed the schema one by one, so meaning checks still run (and
report) when other items of the same file are broken."""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, TypeAdapter, ValidationError

from gapwatch.site.datum import Datum, to_wgs84
from gapwatch.site.models import (
    Camera,
    DispatchEndpoint,
    GeoJsonSources,
    LonLat,
    MaintenanceWindow,
    Obstacle,
    PatrolUnit,
    Period,
    Road,
    SiteFile,
    SiteInfo,
    Zone,
)

__all__ = ["SiteParts"]

M = TypeVar("M", bound=BaseModel)
_Shape = TypeVar("_Shape", Zone, Obstacle)


@functools.cache
def _field_adapter(model: type[BaseModel], name: str) -> TypeAdapter[Any]:
    info = model.model_fields[name]
    # The field's own type with its constraints (bounds, validators) attached.
    field_type: Any = Annotated[info.annotation, info]
    return TypeAdapter(field_type)


def _partial(
    model: type[M], item: Any, failure: ValidationError, essential: tuple[str, ...]
) -> M | None:
    """The item with its broken fields left out, if the fields the checks need are sound.

    Only meaning checks see such an item; a file with any error never yields a spec.
    """
    if not isinstance(item, dict):
        return None
    broken = {e["loc"][0] for e in failure.errors() if e["loc"] and isinstance(e["loc"][0], str)}
    if any(name in broken or name not in item for name in essential):
        return None
    fields: dict[str, Any] = {}
    for name, value in item.items():
        if name not in model.model_fields or name in broken:
            continue
        try:
            fields[name] = _field_adapter(model, name).validate_python(value)
        except ValidationError:
            if name in essential:
                return None
    return model.model_construct(**fields)


def _valid_items(raw: Any, model: type[M], essential: tuple[str, ...]) -> list[tuple[int, M]]:
    if not isinstance(raw, list):
        return []
    out: list[tuple[int, M]] = []
    for index, item in enumerate(raw):
        try:
            out.append((index, model.model_validate(item)))
        except ValidationError as failure:
            partial = _partial(model, item, failure, essential)
            if partial is not None:
                out.append((index, partial))
    return out


def _convert(datum: Datum, point: tuple[float, float]) -> tuple[float, float]:
    return to_wgs84(datum, point[0], point[1])


@dataclass(frozen=True)
class SiteParts:
    """Valid items by section, each with its index in the merged document."""

    info: SiteInfo | None = None
    zones: list[tuple[int, Zone]] = field(default_factory=list)
    obstacles: list[tuple[int, Obstacle]] = field(default_factory=list)
    cameras: list[tuple[int, Camera]] = field(default_factory=list)
    patrol_units: list[tuple[int, PatrolUnit]] = field(default_factory=list)
    roads: list[tuple[int, Road]] = field(default_factory=list)
    periods: list[tuple[int, Period]] = field(default_factory=list)
    maintenance: list[tuple[int, MaintenanceWindow]] = field(default_factory=list)
    endpoints: list[tuple[int, DispatchEndpoint]] = field(default_factory=list)
    holidays: list[str] = field(default_factory=list)
    geojson_datum: Datum = "wgs84"

    @classmethod
    def from_spec(cls, spec: SiteFile) -> SiteParts:
        """All items of a fully valid spec."""
        return cls(
            info=spec.site,
            zones=list(enumerate(spec.zones)),
            obstacles=list(enumerate(spec.obstacles)),
            cameras=list(enumerate(spec.cameras)),
            patrol_units=list(enumerate(spec.patrol_units)),
            roads=list(enumerate(spec.roads)),
            periods=list(enumerate(spec.periods)),
            maintenance=list(enumerate(spec.maintenance)),
            endpoints=list(enumerate(spec.dispatch.endpoints)),
            holidays=list(spec.holidays),
            geojson_datum=spec.geojson.coordinates,
        )

    @classmethod
    def from_raw(cls, data: dict[str, Any]) -> SiteParts:
        """The items of a document that failed the schema somewhere, each validated alone.

        An item with broken fields is kept without them when the fields its checks need
        (polygon, location, ...) are sound, so those checks still report in the same run.
        """
        info: SiteInfo | None
        try:
            info = SiteInfo.model_validate(data.get("site"))
        except ValidationError as failure:
            # Keep the datum and time zone even when, say, the site's name is missing.
            info = _partial(SiteInfo, data.get("site"), failure, ())
        try:
            geojson_datum = GeoJsonSources.model_validate(data.get("geojson") or {}).coordinates
        except ValidationError:
            geojson_datum = "wgs84"
        dispatch = data.get("dispatch")
        endpoints = dispatch.get("endpoints") if isinstance(dispatch, dict) else None
        return cls(
            info=info,
            zones=_valid_items(data.get("zones"), Zone, ("polygon",)),
            obstacles=_valid_items(data.get("obstacles"), Obstacle, ("polygon",)),
            cameras=_valid_items(data.get("cameras"), Camera, ("location",)),
            patrol_units=_valid_items(data.get("patrol_units"), PatrolUnit, ("location",)),
            roads=_valid_items(data.get("roads"), Road, ("line",)),
            periods=_valid_items(data.get("periods"), Period, ("id",)),
            maintenance=_valid_items(data.get("maintenance"), MaintenanceWindow, ("cameras",)),
            endpoints=_valid_items(endpoints, DispatchEndpoint, ("id",)),
            holidays=[h for h in data.get("holidays") or [] if isinstance(h, str)]
            if isinstance(data.get("holidays"), list)
            else [],
            geojson_datum=geojson_datum,
        )

    @property
    def datum(self) -> Datum:
        return self.info.coordinates if self.info is not None else "wgs84"

    def site_timezone(self) -> dt.tzinfo | None:
        """The site's time zone, or None when it is not a known IANA name."""
        name = self.info.timezone if self.info is not None else "Asia/Shanghai"
        try:
            return zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return None

    def to_wgs84(self, yaml_counts: dict[str, int]) -> SiteParts:
        """Positions → WGS84: the site file's in `site.coordinates`, GeoJSON items in
        `geojson.coordinates` (WGS84 unless said otherwise, as RFC 7946 has it).

        `yaml_counts` says how many zones and obstacles came from the site file itself (the
        GeoJSON ones follow them).
        """
        site_datum = self.datum
        if site_datum == "wgs84" and self.geojson_datum == "wgs84":
            return self

        def datum_of(section: str, index: int) -> Datum:
            return site_datum if index < yaml_counts[section] else self.geojson_datum

        def ring(datum: Datum, points: list[LonLat]) -> list[LonLat]:
            return [_convert(datum, p) for p in points]

        def shape(section: str, index: int, item: _Shape) -> _Shape:
            datum = datum_of(section, index)
            if datum == "wgs84":
                return item
            return item.model_copy(update={"polygon": ring(datum, item.polygon)})

        return replace(
            self,
            zones=[(i, shape("zones", i, z)) for i, z in self.zones],
            obstacles=[(i, shape("obstacles", i, o)) for i, o in self.obstacles],
            cameras=[
                (i, c.model_copy(update={"location": _convert(site_datum, c.location)}))
                for i, c in self.cameras
            ],
            patrol_units=[
                (i, u.model_copy(update={"location": _convert(site_datum, u.location)}))
                for i, u in self.patrol_units
            ],
            roads=[
                (i, r.model_copy(update={"line": ring(site_datum, r.line)})) for i, r in self.roads
            ],
        )

    def positions(self) -> Iterator[tuple[float, float]]:
        """Every position written in the site."""
        for _, zone in self.zones:
            yield from zone.polygon
        for _, obstacle in self.obstacles:
            yield from obstacle.polygon
        for _, camera in self.cameras:
            yield camera.location
        for _, unit in self.patrol_units:
            yield unit.location
        for _, road in self.roads:
            yield from road.line

    def apply_to(self, spec: SiteFile) -> SiteFile:
        """The spec with these (converted) items, and maintenance times made time-zone aware."""
        tz = self.site_timezone() or dt.UTC

        def aware(moment: dt.datetime) -> dt.datetime:
            return moment if moment.tzinfo is not None else moment.replace(tzinfo=tz)

        maintenance = [
            m.model_copy(update={"start": aware(m.start), "end": aware(m.end)})
            for _, m in self.maintenance
        ]
        return spec.model_copy(
            update={
                "zones": [z for _, z in self.zones],
                "obstacles": [o for _, o in self.obstacles],
                "cameras": [c for _, c in self.cameras],
                "patrol_units": [u for _, u in self.patrol_units],
                "roads": [r for _, r in self.roads],
                "maintenance": maintenance,
            }
        )
