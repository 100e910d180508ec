"""Mapping presets: the built-in ones (``mapping.BUILT_IN``) and those saved by users (``ImportMapping``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction

from projects.importers.mapping import BUILT_IN, Mapping, MappingError
from projects.models import ImportMapping

if TYPE_CHECKING:
    from apm.accounts.models import User


def preset_names() -> list[str]:
    """Every preset's name: the built-in ones first, then the saved ones by name."""
    return [m.name for m in BUILT_IN.values()] + list(ImportMapping.objects.values_list("name", flat=True))


def preset_get(name: str) -> Mapping | None:
    """The preset called ``name`` (case-insensitive): built-in, else saved; None when there is none."""
    built_in = BUILT_IN.get(name.strip().casefold())
    if built_in is not None:
        return built_in
    saved = ImportMapping.objects.filter(name__iexact=name.strip()).first()
    return preset_mapping(saved) if saved is not None else None


def preset_mapping(preset: ImportMapping) -> Mapping:
    """A saved preset as a Mapping; raises MappingError when its stored JSON is not one."""
    return Mapping.from_dict(preset.data, name=preset.name)


def mapping_lookup(name_or_path: str) -> Mapping:
    """The mapping a command line names: a preset's name, else a mapping JSON file. Raises MappingError."""
    preset = preset_get(name_or_path)
    if preset is not None:
        return preset
    path = Path(name_or_path)
    if path.is_file():
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise MappingError(f"{path}: cannot read the mapping file ({exc})") from exc
        try:
            return Mapping.from_json(text)
        except MappingError as exc:
            raise MappingError(f"{path}: {exc}") from exc
    raise MappingError(f"no preset and no file called {name_or_path!r}; presets: {', '.join(preset_names()) or 'none'}")


def preset_save(mapping: Mapping, *, user: User | None = None) -> ImportMapping:
    """Save ``mapping`` as the preset of its name (replacing a saved one of the same name). Raises MappingError
    for a built-in preset's name."""
    mapping = mapping.checked()
    if mapping.name.casefold() in BUILT_IN:
        raise MappingError(f"{mapping.name!r} is a built-in preset; save the mapping under another name")
    data = mapping.to_dict()
    try:
        with transaction.atomic():
            preset, created = ImportMapping.objects.get_or_create(
                name__iexact=mapping.name, defaults={"name": mapping.name, "data": data, "created_by": user}
            )
    except IntegrityError:  # saved at the same moment by someone else
        preset, created = ImportMapping.objects.get(name__iexact=mapping.name), False
    if not created:
        preset.name, preset.data = mapping.name, data
        preset.save(update_fields=["name", "data", "updated_at"])
    return preset
